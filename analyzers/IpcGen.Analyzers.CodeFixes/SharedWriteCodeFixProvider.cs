using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using IpcGen.Analyzers.SharedMemory;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace IpcGen.Analyzers.CodeFixes
{
    /// <summary>
    /// Makes a write to shared memory safe: <c>Volatile.Write</c> for a plain write (IPCG102), <c>Interlocked</c>
    /// for a read-modify-write (IPCG103), or the statement wrapped in <c>using (region.Lock())</c> (IPCG102,
    /// IPCG103, IPCG105) when the region is a plain variable, field or property.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SharedWriteCodeFixProvider))]
    [Shared]
    public sealed class SharedWriteCodeFixProvider : CodeFixProvider
    {
        /// <summary>Equivalence key of "wrap the statement in using (region.Lock())".</summary>
        public const string WrapInLockKey = "IpcGen.WrapInLock";
        /// <summary>Equivalence key of "use Volatile.Write".</summary>
        public const string VolatileWriteKey = "IpcGen.VolatileWrite";
        /// <summary>Equivalence key of "use Interlocked".</summary>
        public const string InterlockedKey = "IpcGen.Interlocked";

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
            DiagnosticIds.UnsynchronizedSharedWrite, DiagnosticIds.NonAtomicSharedUpdate, DiagnosticIds.TornSharedWrite);

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
                SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                if (node is not ExpressionSyntax expression || expression.Parent is not ExpressionStatementSyntax statement)
                {
                    continue;
                }

                if (diagnostic.Properties.TryGetValue(SharedAccessAnalyzer.VolatileWriteProperty, out _)
                    && expression is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create("Use Volatile.Write", ct => ReplaceAsync(context.Document, expression, VolatileWrite(assignment), ct), VolatileWriteKey),
                        diagnostic);
                }

                if (diagnostic.Properties.TryGetValue(SharedAccessAnalyzer.InterlockedMethodProperty, out string? method) && method is not null
                    && InterlockedCall(expression, method) is { } call)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create($"Use Interlocked.{method}", ct => ReplaceAsync(context.Document, expression, call, ct), InterlockedKey),
                        diagnostic);
                }

                if (diagnostic.Properties.TryGetValue(SharedAccessAnalyzer.RegionProperty, out string? region) && region is not null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create($"Hold {region}.Lock() around the write", ct => WrapInLockAsync(context.Document, statement, region, ct), WrapInLockKey),
                        diagnostic);
                }
            }
        }

        private static ExpressionSyntax VolatileWrite(AssignmentExpressionSyntax assignment)
            => Threading("Volatile", "Write", Ref(assignment.Left), SyntaxFactory.Argument(assignment.Right.WithoutTrivia()));

        private static ExpressionSyntax? InterlockedCall(ExpressionSyntax expression, string method)
        {
            switch (expression)
            {
                case PostfixUnaryExpressionSyntax postfix:
                    return Threading("Interlocked", method, Ref(postfix.Operand));
                case PrefixUnaryExpressionSyntax prefix:
                    return Threading("Interlocked", method, Ref(prefix.Operand));
                case AssignmentExpressionSyntax compound:
                    ExpressionSyntax value = compound.Right.WithoutTrivia();
                    if (compound.IsKind(SyntaxKind.SubtractAssignmentExpression))
                    {
                        value = SyntaxFactory.PrefixUnaryExpression(
                            SyntaxKind.UnaryMinusExpression,
                            value is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax ? value : SyntaxFactory.ParenthesizedExpression(value));
                    }

                    return Threading("Interlocked", method, Ref(compound.Left), SyntaxFactory.Argument(value));
                default:
                    return null;
            }
        }

        private static ArgumentSyntax Ref(ExpressionSyntax target)
            => SyntaxFactory.Argument(null, SyntaxFactory.Token(SyntaxKind.RefKeyword).WithTrailingTrivia(SyntaxFactory.Space), target.WithoutTrivia());

        /// <summary><c>System.Threading.{type}.{method}(args)</c>, simplified to what the file's usings allow.</summary>
        private static ExpressionSyntax Threading(string type, string method, params ArgumentSyntax[] arguments)
        {
            var separated = SyntaxFactory.SeparatedList(arguments, Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), arguments.Length - 1));
            return SyntaxFactory.InvocationExpression(
                SyntaxFactory.ParseExpression($"global::System.Threading.{type}.{method}").WithAdditionalAnnotations(Simplifier.Annotation),
                SyntaxFactory.ArgumentList(separated));
        }

        private static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax expression, ExpressionSyntax replacement, CancellationToken cancellationToken)
        {
            SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(expression, replacement.WithTriviaFrom(expression)));
        }

        private static async Task<Document> WrapInLockAsync(Document document, ExpressionStatementSyntax statement, string region, CancellationToken cancellationToken)
        {
            SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return document;
            }

            UsingStatementSyntax wrapped = SyntaxFactory.UsingStatement(
                    declaration: null,
                    expression: SyntaxFactory.ParseExpression(region + ".Lock()"),
                    statement: SyntaxFactory.Block(statement.WithoutLeadingTrivia().WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)))
                .WithLeadingTrivia(statement.GetLeadingTrivia())
                .WithTrailingTrivia(statement.GetTrailingTrivia())
                .WithAdditionalAnnotations(Formatter.Annotation);
            return document.WithSyntaxRoot(root.ReplaceNode(statement, wrapped));
        }
    }
}
