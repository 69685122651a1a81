using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace IpcGen.Analyzers.SharedMemory
{
    /// <summary>
    /// What "shared memory" and "holding the lock" mean to the IPCG1xx rules, within one method body.
    /// </summary>
    /// <remarks>
    /// <para>A <b>shared location</b> is the element a <c>SharedRegion&lt;T&gt;</c> hands out by reference —
    /// <c>region.Value</c> or <c>region[i]</c> — any field reached from it through struct fields
    /// (<c>region.Value.Stats.Count</c>), and the same through a <c>ref</c> local initialized from such an
    /// expression (<c>ref var c = ref region.Value; c.Count = 1;</c>). Copies (<c>var c = region.Value;</c>),
    /// <c>this</c> inside the struct's own methods, <c>ref</c> parameters, spans and pointers are not followed:
    /// the rules never guess, so they stay silent rather than report correct code.</para>
    /// <para><b>Holding the lock</b> means the access is lexically inside the scope of a guard, in the same
    /// method and not inside a lambda or local function defined there: the body of <c>using (x.Lock())</c>
    /// or <c>using (var g = x.Lock())</c>, the statements after <c>using var g = x.Lock();</c> in its block,
    /// or a <c>try</c> block whose <c>finally</c> disposes a guard. Any <c>SharedMutexGuard</c> counts (the
    /// region's lock or a <c>SharedMutex</c> inside it) unless both the guard's region and the access's region
    /// are plain variables, fields or properties and they differ.</para>
    /// </remarks>
    internal readonly struct SharedLocation
    {
        public SharedLocation(IOperation region, ISymbol? regionSymbol)
        {
            Region = region;
            RegionSymbol = regionSymbol;
        }

        /// <summary>The <c>SharedRegion&lt;T&gt;</c> expression the location comes from.</summary>
        public IOperation Region { get; }

        /// <summary>The variable, field or property that holds the region, when it is that simple.</summary>
        public ISymbol? RegionSymbol { get; }

        /// <summary>Source text of the region expression when re-evaluating it has no side effects (for the "wrap in lock" fix).</summary>
        public string? RegionText => IsSimple(Region.Syntax) ? Region.Syntax.ToString() : null;

        private static bool IsSimple(SyntaxNode syntax) => syntax switch
        {
            IdentifierNameSyntax => true,
            ThisExpressionSyntax => true,
            MemberAccessExpressionSyntax member => member.Name is IdentifierNameSyntax && IsSimple(member.Expression),
            _ => false,
        };
    }

    internal static class SharedAccess
    {
        private const int MaxRefLocalDepth = 4;

        /// <summary>
        /// Whether <paramref name="operation"/> denotes shared memory: a field reached from a region element,
        /// the element itself, or a ref local bound to either.
        /// </summary>
        public static SharedLocation? Locate(IOperation? operation, SharedMemorySymbols symbols)
            => Locate(operation, symbols, 0);

        private static SharedLocation? Locate(IOperation? operation, SharedMemorySymbols symbols, int depth)
        {
            while (operation is IFieldReferenceOperation { Instance: { } instance, Field.IsStatic: false } field
                   && field.Field.ContainingType.IsValueType)
            {
                operation = instance;
            }

            switch (operation)
            {
                case IPropertyReferenceOperation { Instance: { } region } property
                    when symbols.IsSharedRegion(property.Property.ContainingType)
                         && (property.Property.IsIndexer || property.Property.Name == "Value"):
                    return new SharedLocation(region, SymbolOf(region));
                case ILocalReferenceOperation { Local.IsRef: true } local when depth < MaxRefLocalDepth:
                    return Locate(RefLocalInitializer(local), symbols, depth + 1);
                default:
                    return null;
            }
        }

        /// <summary>The variable, parameter, field or property an expression reads, looking through conversions.</summary>
        public static ISymbol? SymbolOf(IOperation? operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation property when property.Arguments.IsEmpty => property.Property,
                _ => null,
            };
        }

        private static IOperation? RefLocalInitializer(ILocalReferenceOperation local)
        {
            if (local.SemanticModel is not { } model)
            {
                return null;
            }

            foreach (SyntaxReference reference in local.Local.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == model.SyntaxTree
                    && model.GetOperation(reference.GetSyntax()) is IVariableDeclaratorOperation { Initializer.Value: { } value })
                {
                    return value;
                }
            }

            return null;
        }

        /// <summary>The region a guard-producing expression locks: <c>r.Lock()</c> → r, <c>r.Value.Gate.Lock()</c> → r.</summary>
        public static SharedLocation? LockedRegion(IOperation? acquisition, SharedMemorySymbols symbols)
        {
            while (acquisition is IConversionOperation conversion)
            {
                acquisition = conversion.Operand;
            }

            if (acquisition is not IInvocationOperation { Instance: { } instance } invocation || !symbols.IsLockAcquisition(invocation.TargetMethod))
            {
                return null;
            }

            return symbols.IsSharedRegion(instance.Type) ? new SharedLocation(instance, SymbolOf(instance)) : Locate(instance, symbols);
        }

        /// <summary>Whether the code at <paramref name="access"/> runs while a guard is held (see the remarks on <see cref="SharedLocation"/>).</summary>
        public static bool IsUnderLock(IOperation access, SharedLocation location, SharedMemorySymbols symbols, CancellationToken cancellationToken)
        {
            SemanticModel? model = access.SemanticModel;
            if (model is null)
            {
                return true; // cannot tell: say nothing
            }

            SyntaxNode child = access.Syntax;
            for (SyntaxNode? node = child.Parent; node is not null; child = node, node = node.Parent)
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (node)
                {
                    case AnonymousFunctionExpressionSyntax:
                    case LocalFunctionStatementSyntax:
                    case MemberDeclarationSyntax:
                        return false;
                    case UsingStatementSyntax @using when child == @using.Statement && GuardMatches(UsingResource(@using, model, cancellationToken), location, symbols):
                        return true;
                    case TryStatementSyntax @try when child == @try.Block && @try.Finally is { } @finally && FinallyReleasesMatchingGuard(@try, @finally, location, model, symbols, cancellationToken):
                        return true;
                    case BlockSyntax block when PrecedingUsingDeclarationHoldsLock(block.Statements, child, location, model, symbols, cancellationToken):
                        return true;
                    case SwitchSectionSyntax section when PrecedingUsingDeclarationHoldsLock(section.Statements, child, location, model, symbols, cancellationToken):
                        return true;
                }
            }

            return false;
        }

        private static IOperation? UsingResource(UsingStatementSyntax @using, SemanticModel model, CancellationToken cancellationToken)
        {
            if (@using.Expression is { } expression)
            {
                return model.GetOperation(expression, cancellationToken);
            }

            if (@using.Declaration is { Variables.Count: > 0 } declaration)
            {
                return (model.GetOperation(declaration.Variables[0], cancellationToken) as IVariableDeclaratorOperation)?.Initializer?.Value;
            }

            return null;
        }

        private static bool PrecedingUsingDeclarationHoldsLock(SyntaxList<StatementSyntax> statements, SyntaxNode child, SharedLocation location, SemanticModel model, SharedMemorySymbols symbols, CancellationToken cancellationToken)
        {
            foreach (StatementSyntax statement in statements)
            {
                if (statement == child)
                {
                    return false;
                }

                if (statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } declaration
                    && declaration.Declaration.Variables.Count > 0
                    && model.GetOperation(declaration.Declaration.Variables[0], cancellationToken) is IVariableDeclaratorOperation declarator
                    && GuardMatches(declarator.Initializer?.Value, location, symbols, declarator.Symbol.Type))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A <c>finally</c> that calls <c>g.Dispose()</c> on a guard; the guard's region is found from its declaration.</summary>
        private static bool FinallyReleasesMatchingGuard(TryStatementSyntax @try, FinallyClauseSyntax @finally, SharedLocation location, SemanticModel model, SharedMemorySymbols symbols, CancellationToken cancellationToken)
        {
            foreach (InvocationExpressionSyntax call in @finally.Block.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (call.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" } member
                    || model.GetSymbolInfo(member.Expression, cancellationToken).Symbol is not ILocalSymbol guard
                    || !symbols.IsGuard(guard.Type))
                {
                    continue;
                }

                IOperation? acquisition = GuardAcquisition(guard, @try, model, cancellationToken);
                if (GuardMatches(acquisition, location, symbols, guard.Type))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The expression a guard local was initialized or assigned from, if it is visible nearby.</summary>
        private static IOperation? GuardAcquisition(ILocalSymbol guard, TryStatementSyntax @try, SemanticModel model, CancellationToken cancellationToken)
        {
            foreach (SyntaxReference reference in guard.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == model.SyntaxTree
                    && model.GetOperation(reference.GetSyntax(cancellationToken), cancellationToken) is IVariableDeclaratorOperation { Initializer.Value: { } value }
                    && value is not IDefaultValueOperation)
                {
                    return value;
                }
            }

            foreach (AssignmentExpressionSyntax assignment in @try.Block.DescendantNodes().OfType<AssignmentExpressionSyntax>())
            {
                if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol, guard))
                {
                    return model.GetOperation(assignment.Right, cancellationToken);
                }
            }

            return null;
        }

        private static bool GuardMatches(IOperation? resource, SharedLocation location, SharedMemorySymbols symbols, ITypeSymbol? declaredType = null)
        {
            if (resource is null)
            {
                return symbols.IsGuard(declaredType);
            }

            if (!symbols.IsGuard(resource.Type) && !symbols.IsGuard(declaredType))
            {
                return false;
            }

            SharedLocation? locked = LockedRegion(resource, symbols);
            if (locked?.RegionSymbol is { } lockedSymbol && location.RegionSymbol is { } accessedSymbol)
            {
                return SymbolEqualityComparer.Default.Equals(lockedSymbol, accessedSymbol);
            }

            return true; // a guard of an unknown region: trust it
        }
    }
}
