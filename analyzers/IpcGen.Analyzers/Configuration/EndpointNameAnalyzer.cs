using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace IpcGen.Analyzers.Configuration
{
    /// <summary>
    /// IPCG200: an <c>Endpoint</c> of <c>IpcServerOptions</c>/<c>IpcClientOptions</c> set to a constant that
    /// starts with <c>'@'</c> or <c>'\0'</c>, the two notations for a Linux abstract-namespace socket.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class EndpointNameAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: the endpoint without its prefix, offered by the code fix.</summary>
        public const string PlainNameProperty = "PlainName";

        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.AbstractNamespaceEndpoint);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                INamedTypeSymbol? server = start.Compilation.GetTypeByMetadataName("IpcGen.IpcServerOptions");
                INamedTypeSymbol? client = start.Compilation.GetTypeByMetadataName("IpcGen.IpcClientOptions");
                if (server is null && client is null)
                {
                    return;
                }

                start.RegisterOperationAction(c => Analyze(c, server, client), OperationKind.SimpleAssignment);
            });
        }

        private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol? server, INamedTypeSymbol? client)
        {
            try
            {
                var assignment = (ISimpleAssignmentOperation)context.Operation;
                if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Endpoint" } property
                    || !(SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, server) || SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, client))
                    || assignment.Value.ConstantValue is not { HasValue: true, Value: string endpoint }
                    || endpoint.Length == 0
                    || (endpoint[0] != '@' && endpoint[0] != '\0'))
                {
                    return;
                }

                string plain = endpoint.TrimStart('@', '\0');
                string prefix = endpoint[0] == '@' ? "@" : "\\0";
                ImmutableDictionary<string, string?> properties = plain.Length > 0
                    ? ImmutableDictionary<string, string?>.Empty.Add(PlainNameProperty, plain)
                    : ImmutableDictionary<string, string?>.Empty;
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.AbstractNamespaceEndpoint,
                    assignment.Value.Syntax.GetLocation(),
                    properties,
                    endpoint.Replace("\0", "\\0"),
                    prefix,
                    plain.Length > 0 ? plain : "my-service"));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Never take the build down.
            }
        }
    }
}
