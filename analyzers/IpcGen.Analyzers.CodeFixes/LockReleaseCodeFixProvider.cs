using System.Collections.Generic;
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
    /// <summary>
    /// IPCG106: turns the acquisition into a <c>using</c> declaration — <c>var g = r.Lock();</c> becomes
    /// <c>using var g = r.Lock();</c> (and the block's own <c>g.Dispose();</c> calls go), a discarded
    /// <c>r.Lock();</c> becomes <c>using var guard = r.Lock();</c>. The lock is then held to the end of the block.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LockReleaseCodeFixProvider))]
    [Shared]
    public sealed class LockReleaseCodeFixProvider : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SharedLockNotReleased);

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
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax invocation)
                {
                    continue;
                }

                StatementSyntax? statement = invocation.Parent switch
                {
                    ExpressionStatementSyntax discarded => discarded,
                    EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax local } } } => local,
                    _ => null,
                };
                if (statement?.Parent is not BlockSyntax)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create("Release the lock with 'using'", ct => FixAsync(context.Document, statement, invocation, ct), nameof(LockReleaseCodeFixProvider)),
                    diagnostic);
            }
        }

        private static async Task<Document> FixAsync(Document document, StatementSyntax statement, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        {
            SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || statement.Parent is not BlockSyntax block)
            {
                return document;
            }

            LocalDeclarationStatementSyntax declaration;
            var removed = new HashSet<StatementSyntax>();
            if (statement is LocalDeclarationStatementSyntax local)
            {
                declaration = local;
                ISymbol? guard = model.GetDeclaredSymbol(local.Declaration.Variables[0], cancellationToken);
                foreach (StatementSyntax later in block.Statements.SkipWhile(s => s != statement).Skip(1))
                {
                    if (later is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" } member, ArgumentList.Arguments.Count: 0 } }
                        && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(member.Expression, cancellationToken).Symbol, guard))
                    {
                        removed.Add(later);
                    }
                }
            }
            else
            {
                string name = UniqueName(model, statement.SpanStart, "guard");
                declaration = SyntaxFactory.LocalDeclarationStatement(
                        SyntaxFactory.VariableDeclaration(
                            SyntaxFactory.IdentifierName("var").WithTrailingTrivia(SyntaxFactory.Space),
                            SyntaxFactory.SingletonSeparatedList(
                                SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name).WithTrailingTrivia(SyntaxFactory.Space))
                                    .WithInitializer(SyntaxFactory.EqualsValueClause(
                                        SyntaxFactory.Token(SyntaxKind.EqualsToken).WithTrailingTrivia(SyntaxFactory.Space),
                                        invocation.WithoutTrivia())))))
                    .WithSemicolonToken(((ExpressionStatementSyntax)statement).SemicolonToken);
            }

            LocalDeclarationStatementSyntax usingDeclaration = declaration
                .WithoutLeadingTrivia()
                .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(SyntaxFactory.Space))
                .WithLeadingTrivia(statement.GetLeadingTrivia())
                .WithTrailingTrivia(statement.GetTrailingTrivia());

            var statements = new List<StatementSyntax>();
            foreach (StatementSyntax s in block.Statements)
            {
                if (s == statement)
                {
                    statements.Add(usingDeclaration);
                }
                else if (!removed.Contains(s))
                {
                    statements.Add(s);
                }
            }

            return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements))));
        }

        private static string UniqueName(SemanticModel model, int position, string baseName)
        {
            string name = baseName;
            for (int i = 2; model.LookupSymbols(position, name: name).Any(); i++)
            {
                name = baseName + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return name;
        }
    }
}
