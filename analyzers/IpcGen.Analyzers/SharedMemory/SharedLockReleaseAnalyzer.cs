using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace IpcGen.Analyzers.SharedMemory
{
    /// <summary>
    /// IPCG106: every <c>Lock()</c> of a region or <c>SharedMutex</c> must be released even when an exception
    /// flies — its guard is the resource of a <c>using</c>, or a local disposed in a <c>finally</c>. A guard
    /// that is returned, passed on or stored has a new owner and is not followed.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class SharedLockReleaseAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.SharedLockNotReleased);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var symbols = new SharedMemorySymbols(start.Compilation);
                if (!symbols.IsAvailable)
                {
                    return;
                }

                start.RegisterOperationAction(c => Analyze(c, symbols), OperationKind.Invocation);
            });
        }

        private static void Analyze(OperationAnalysisContext context, SharedMemorySymbols symbols)
        {
            try
            {
                var invocation = (IInvocationOperation)context.Operation;
                if (!symbols.IsLockAcquisition(invocation.TargetMethod))
                {
                    return;
                }

                string? problem = Problem(invocation, context.Operation.SemanticModel);
                if (problem is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.SharedLockNotReleased, invocation.Syntax.GetLocation(), invocation.Syntax.ToString(), problem));
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Never take the build down.
            }
        }

        private static string? Problem(IInvocationOperation invocation, SemanticModel? model)
        {
            IOperation? parent = invocation.Parent;
            while (parent is IConversionOperation)
            {
                parent = parent.Parent;
            }

            switch (parent)
            {
                case IExpressionStatementOperation:
                    return "is never released: the guard it returns is discarded";
                case IUsingOperation:
                    return null;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    if (declarator.Parent?.Parent?.Parent is IUsingDeclarationOperation or IUsingOperation
                        || declarator.Parent?.Parent is IUsingDeclarationOperation or IUsingOperation)
                    {
                        return null;
                    }

                    return IsDisposedInFinally(declarator.Symbol, declarator.Syntax, model) ? null : "is released without try/finally, or not at all";
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment:
                    return IsDisposedInFinally(local.Local, assignment.Syntax, model) ? null : "is released without try/finally, or not at all";
                default:
                    return null; // returned, passed as an argument, stored in a field: its new owner releases it
            }
        }

        /// <summary>
        /// Whether a <c>finally</c> disposes <paramref name="guard"/> and covers the code after the acquisition:
        /// an enclosing <c>try</c> (acquired inside it), or a <c>try</c> that is the next statement.
        /// </summary>
        private static bool IsDisposedInFinally(ILocalSymbol guard, SyntaxNode acquisition, SemanticModel? model)
        {
            if (model is null)
            {
                return true;
            }

            StatementSyntax? statement = acquisition.FirstAncestorOrSelf<StatementSyntax>();
            for (SyntaxNode? node = statement?.Parent; node is not null && node is not MemberDeclarationSyntax && node is not AnonymousFunctionExpressionSyntax && node is not LocalFunctionStatementSyntax; node = node.Parent)
            {
                if (node is TryStatementSyntax @try && @try.Finally is { } @finally && Disposes(@finally, guard, model))
                {
                    return true;
                }
            }

            if (statement?.Parent is BlockSyntax block)
            {
                int index = block.Statements.IndexOf(statement);
                if (index >= 0 && index + 1 < block.Statements.Count
                    && block.Statements[index + 1] is TryStatementSyntax { Finally: { } next }
                    && Disposes(next, guard, model))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Disposes(FinallyClauseSyntax @finally, ILocalSymbol guard, SemanticModel model)
            => @finally.Block.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(call =>
                call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" } member
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(member.Expression).Symbol, guard));
    }
}
