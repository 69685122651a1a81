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
using Microsoft.CodeAnalysis.Simplification;

namespace IpcGen.Analyzers.CodeFixes
{
    /// <summary>IPCG101: adds <c>[StructLayout(LayoutKind.Sequential)]</c> to a shared struct, or turns <c>LayoutKind.Auto</c> into <c>Sequential</c>.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StructLayoutCodeFixProvider))]
    [Shared]
    public sealed class StructLayoutCodeFixProvider : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SharedStructLayout);

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
                if (declaration is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Declare [StructLayout(LayoutKind.Sequential)]",
                        ct => FixAsync(context.Document, declaration, ct),
                        equivalenceKey: nameof(StructLayoutCodeFixProvider)),
                    diagnostic);
            }
        }

        private static async Task<Document> FixAsync(Document document, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        {
            SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            MemberAccessExpressionSyntax? auto = declaration.AttributeLists
                .SelectMany(list => list.Attributes)
                .Where(a => a.Name.ToString().EndsWith("StructLayout") || a.Name.ToString().EndsWith("StructLayoutAttribute"))
                .SelectMany(a => a.DescendantNodes().OfType<MemberAccessExpressionSyntax>())
                .FirstOrDefault(m => m.Name.Identifier.ValueText == "Auto");
            if (auto is not null)
            {
                return document.WithSyntaxRoot(root.ReplaceNode(auto.Name, SyntaxFactory.IdentifierName("Sequential").WithTriviaFrom(auto.Name)));
            }

            SyntaxTriviaList leading = declaration.GetLeadingTrivia();
            SyntaxTrivia indentation = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
            AttributeListSyntax layout = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.Attribute(
                        SyntaxFactory.ParseName("global::System.Runtime.InteropServices.StructLayout"),
                        SyntaxFactory.ParseAttributeArgumentList("(global::System.Runtime.InteropServices.LayoutKind.Sequential)"))))
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            TypeDeclarationSyntax updated;
            if (declaration.AttributeLists.Count > 0)
            {
                layout = layout
                    .WithLeadingTrivia(indentation.IsKind(SyntaxKind.WhitespaceTrivia) ? SyntaxFactory.TriviaList(indentation) : SyntaxFactory.TriviaList())
                    .WithTrailingTrivia(declaration.AttributeLists.Last().GetTrailingTrivia());
                updated = declaration.WithAttributeLists(declaration.AttributeLists.Add(layout));
            }
            else
            {
                layout = layout.WithLeadingTrivia(leading).WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
                updated = declaration.WithoutLeadingTrivia().WithAttributeLists(SyntaxFactory.SingletonList(layout));
                updated = updated.WithModifiers(updated.Modifiers.Count > 0
                    ? updated.Modifiers.Replace(updated.Modifiers[0], updated.Modifiers[0].WithLeadingTrivia(indentation))
                    : updated.Modifiers);
            }

            SyntaxNode newRoot = root.ReplaceNode(declaration, updated);
            SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            bool imported = model is not null && model.LookupNamespacesAndTypes(declaration.SpanStart, name: "LayoutKind").Any();
            if (!imported && newRoot is CompilationUnitSyntax unit)
            {
                newRoot = WithUsing(unit, "System.Runtime.InteropServices");
            }

            return document.WithSyntaxRoot(newRoot);
        }

        /// <summary>Adds <c>using {name};</c> among the file's usings, System ones first, in order.</summary>
        private static CompilationUnitSyntax WithUsing(CompilationUnitSyntax unit, string name)
        {
            SyntaxTriviaList endOfLine = unit.Usings.Count > 0 ? unit.Usings[0].GetTrailingTrivia() : SyntaxFactory.TriviaList(SyntaxFactory.LineFeed);
            UsingDirectiveSyntax directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(name).WithLeadingTrivia(SyntaxFactory.Space))
                .WithTrailingTrivia(endOfLine);
            int index = 0;
            while (index < unit.Usings.Count && Compare(unit.Usings[index].Name?.ToString() ?? "", name) < 0)
            {
                index++;
            }

            if (index == 0 && unit.Usings.Count > 0)
            {
                // Keep the file's leading trivia (a header comment) in front of the first using.
                UsingDirectiveSyntax first = unit.Usings[0];
                directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
                unit = unit.ReplaceNode(first, first.WithoutLeadingTrivia());
            }

            return unit.WithUsings(unit.Usings.Insert(index, directive));
        }

        private static int Compare(string a, string b)
        {
            bool aSystem = a == "System" || a.StartsWith("System.", System.StringComparison.Ordinal);
            bool bSystem = b == "System" || b.StartsWith("System.", System.StringComparison.Ordinal);
            return aSystem != bSystem ? (aSystem ? -1 : 1) : string.CompareOrdinal(a, b);
        }
    }
}
