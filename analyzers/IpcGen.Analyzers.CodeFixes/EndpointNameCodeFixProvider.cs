using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using IpcGen.Analyzers.Configuration;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcGen.Analyzers.CodeFixes
{
    /// <summary>IPCG200: drops the abstract-namespace prefix from an endpoint literal, so it names a file in the private runtime directory.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EndpointNameCodeFixProvider))]
    [Shared]
    public sealed class EndpointNameCodeFixProvider : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.AbstractNamespaceEndpoint);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (Diagnostic diagnostic in context.Diagnostics)
            {
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
                    || !literal.IsKind(SyntaxKind.StringLiteralExpression)
                    || !diagnostic.Properties.TryGetValue(EndpointNameAnalyzer.PlainNameProperty, out string? plain)
                    || plain is null)
                {
                    continue;
                }

                LiteralExpressionSyntax replacement = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(plain)).WithTriviaFrom(literal);
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Use the plain endpoint name \"{plain}\"",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal, replacement))),
                        nameof(EndpointNameCodeFixProvider)),
                    diagnostic);
            }
        }
    }
}
