using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace IpcGen.Analyzers.Security
{
    /// <summary>
    /// IPCG300: <c>IpcAuthorizationPolicy.Custom(predicate)</c> where the predicate is a lambda or anonymous
    /// method that returns the constant <c>true</c> (<c>_ =&gt; true</c>, <c>p =&gt; { return true; }</c>): a policy
    /// that lets every local user in.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class AuthorizationPolicyAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.AuthorizationAdmitsEveryone);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                INamedTypeSymbol? policy = start.Compilation.GetTypeByMetadataName("IpcGen.IpcAuthorizationPolicy");
                if (policy is null)
                {
                    return;
                }

                start.RegisterOperationAction(c => Analyze(c, policy), OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol policy)
        {
            try
            {
                var invocation = (IInvocationOperation)context.Operation;
                if (invocation.TargetMethod.Name != "Custom"
                    || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, policy)
                    || invocation.Arguments.Length != 1)
                {
                    return;
                }

                IOperation predicate = invocation.Arguments[0].Value;
                while (predicate is IConversionOperation or IDelegateCreationOperation)
                {
                    predicate = predicate is IConversionOperation conversion ? conversion.Operand : ((IDelegateCreationOperation)predicate).Target;
                }

                if (predicate is IAnonymousFunctionOperation function && AlwaysReturnsTrue(function.Body))
                {
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AuthorizationAdmitsEveryone, invocation.Arguments[0].Syntax.GetLocation()));
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Never take the build down.
            }
        }

        /// <summary>A body whose every return yields the constant true, with nothing else that could throw or decide.</summary>
        private static bool AlwaysReturnsTrue(IBlockOperation body)
        {
            IReturnOperation[] returns = body.Descendants().OfType<IReturnOperation>().ToArray();
            return returns.Length > 0
                   && body.Operations.All(o => o is IReturnOperation)
                   && returns.All(r => r.ReturnedValue?.ConstantValue is { HasValue: true, Value: true });
        }
    }
}
