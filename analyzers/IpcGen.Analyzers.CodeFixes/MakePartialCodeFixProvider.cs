using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcGen.Analyzers.CodeFixes
{
    /// <summary>Adds the missing <c>partial</c> modifier to a contract interface (IPCG001) or a type that contains one (IPCG002).</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFixProvider))]
    [Shared]
    public sealed class MakePartialCodeFixProvider : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create(DiagnosticIds.InterfaceMustBePartial, DiagnosticIds.ContainingTypeMustBePartial);

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
                TypeDeclarationSyntax? declaration = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
                if (declaration is null || declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    continue;
                }

                string title = $"Make '{declaration.Identifier.ValueText}' partial";
                context.RegisterCodeFix(
                    CodeAction.Create(
                        title,
                        cancellationToken => AddPartialAsync(context.Document, declaration, cancellationToken),
                        equivalenceKey: nameof(MakePartialCodeFixProvider)),
                    diagnostic);
            }
        }

        private static async Task<Document> AddPartialAsync(Document document, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        {
            SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            return document.WithSyntaxRoot(root.ReplaceNode(declaration, WithPartial(declaration)));
        }

        /// <summary>
        /// <c>partial</c> must come right before the type keyword (<c>public unsafe partial interface</c>);
        /// when there are no modifiers it takes over the keyword's leading trivia so comments and indentation stay put.
        /// </summary>
        internal static TypeDeclarationSyntax WithPartial(TypeDeclarationSyntax declaration)
        {
            SyntaxToken keyword = declaration.Keyword;
            if (declaration.Modifiers.Count == 0)
            {
                SyntaxToken partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
                return declaration
                    .WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
                    .WithModifiers(SyntaxFactory.TokenList(partial));
            }

            return declaration.WithModifiers(declaration.Modifiers.Add(
                SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))));
        }
    }
}
