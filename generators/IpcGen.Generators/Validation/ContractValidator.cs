using System.Globalization;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcGen.Generators.Validation
{
    /// <summary>
    /// Decides whether an <c>[IpcService]</c> interface can become an IPC contract. The analyzer reports
    /// every problem found here; the generator skips any interface that has one. One implementation, so
    /// the two cannot disagree.
    /// </summary>
    internal static class ContractValidator
    {
        /// <summary>Names the generator declares on the contract interface itself.</summary>
        public static readonly ImmutableArray<string> ReservedNames = ImmutableArray.Create(
            "IpcContractName", "IpcContractFingerprint", "Connect", "ConnectAsync", "Serve", "SpawnWorker", "ServeWorker", "IpcProxy", "IpcDispatcher");

        public static ImmutableArray<ContractProblem> Validate(
            INamedTypeSymbol contract,
            KnownSymbols known,
            List<ContractMethod> methods,
            CancellationToken cancellationToken)
        {
            var problems = ImmutableArray.CreateBuilder<ContractProblem>();
            Location contractLocation = FirstSourceLocation(contract) ?? Location.None;
            string contractDisplay = contract.ToDisplayString(TypeNames.Message);

            ValidateDeclaration(contract, contractLocation, contractDisplay, problems, cancellationToken);
            ValidateOtherMembers(contract, known, contractLocation, problems, cancellationToken);

            foreach (ContractMethod method in methods)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ValidateMethod(method.Method, known, contractLocation, problems, cancellationToken);
            }

            ValidateIds(methods, contractLocation, problems);
            return problems.ToImmutable();
        }

        private static void ValidateDeclaration(
            INamedTypeSymbol contract,
            Location contractLocation,
            string contractDisplay,
            ImmutableArray<ContractProblem>.Builder problems,
            CancellationToken cancellationToken)
        {
            bool nestedInGeneric = false;
            for (INamedTypeSymbol? outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                nestedInGeneric |= outer.TypeParameters.Length > 0;
            }

            if (contract.TypeParameters.Length > 0 || nestedInGeneric)
            {
                problems.Add(Problem(DiagnosticIds.GenericInterface, contractLocation, contractDisplay));
            }

            foreach (TypeDeclarationSyntax declaration in Declarations(contract, cancellationToken))
            {
                if (!IsPartial(declaration))
                {
                    problems.Add(Problem(DiagnosticIds.InterfaceMustBePartial, declaration.Identifier.GetLocation(), contractDisplay));
                }
            }

            for (INamedTypeSymbol? outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                problems.AddRange(ValidateContainingType(outer, contract, cancellationToken));
            }
        }

        /// <summary>
        /// IPCG002 for one type that contains <paramref name="contract"/>. The analyzer calls this while
        /// analyzing the containing type itself, so the diagnostic is local to the declaration it fixes.
        /// </summary>
        public static IEnumerable<ContractProblem> ValidateContainingType(
            INamedTypeSymbol outer,
            INamedTypeSymbol contract,
            CancellationToken cancellationToken)
        {
            foreach (TypeDeclarationSyntax declaration in Declarations(outer, cancellationToken))
            {
                if (!IsPartial(declaration))
                {
                    yield return Problem(
                        DiagnosticIds.ContainingTypeMustBePartial,
                        declaration.Identifier.GetLocation(),
                        outer.ToDisplayString(TypeNames.Message),
                        contract.ToDisplayString(TypeNames.Message));
                }
            }
        }

        private static void ValidateOtherMembers(
            INamedTypeSymbol contract,
            KnownSymbols known,
            Location contractLocation,
            ImmutableArray<ContractProblem>.Builder problems,
            CancellationToken cancellationToken)
        {
            foreach (INamedTypeSymbol type in ContractShape.Interfaces(contract))
            {
                if (ContractShape.IsLifetimeInterface(type, known))
                {
                    continue;
                }

                foreach (ISymbol member in type.GetMembers())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    string? kind = UnsupportedMemberKind(member);
                    if (kind is not null)
                    {
                        problems.Add(Problem(
                            DiagnosticIds.UnsupportedMember,
                            FirstSourceLocation(member) ?? contractLocation,
                            member.ToDisplayString(TypeNames.Message),
                            kind));
                    }
                }
            }
        }

        private static string? UnsupportedMemberKind(ISymbol member)
        {
            // Abstract instance members other than methods would need state on the proxy; static abstract
            // and static virtual members cannot be implemented by a generated class at all.
            bool abstractOrStaticVirtual = member.IsAbstract || (member.IsStatic && member.IsVirtual);
            if (!abstractOrStaticVirtual)
            {
                return null;
            }

            switch (member)
            {
                case IPropertySymbol property:
                    return (member.IsStatic ? "static " : string.Empty) + (property.IsIndexer ? "indexer" : "property");
                case IEventSymbol:
                    return (member.IsStatic ? "static " : string.Empty) + "event";
                case IMethodSymbol method when method.IsStatic:
                    return method.MethodKind == MethodKind.Ordinary ? "static abstract method" : "static abstract operator";
                default:
                    return null;
            }
        }

        private static void ValidateMethod(
            IMethodSymbol method,
            KnownSymbols known,
            Location contractLocation,
            ImmutableArray<ContractProblem>.Builder problems,
            CancellationToken cancellationToken)
        {
            Location methodLocation = FirstSourceLocation(method) ?? contractLocation;
            string methodDisplay = method.ToDisplayString(TypeNames.Message);
            MethodDeclarationSyntax? syntax = DeclarationOf<MethodDeclarationSyntax>(method, cancellationToken);
            Location returnLocation = syntax?.ReturnType.GetLocation() ?? methodLocation;

            if (ContractValidator.ReservedNames.Contains(method.Name))
            {
                problems.Add(Problem(DiagnosticIds.ReservedMemberName, methodLocation, methodDisplay, method.Name));
            }

            if (method.IsGenericMethod)
            {
                problems.Add(Problem(DiagnosticIds.GenericMethod, methodLocation, methodDisplay));
            }

            ReturnShape shape = ValidateReturn(method, known, returnLocation, problems);
            if (KnownSymbols.HasAttribute(method, known.OneWayAttribute)
                && shape != ReturnShape.Void && shape != ReturnShape.Task)
            {
                problems.Add(Problem(
                    DiagnosticIds.OneWayReturnsValue,
                    returnLocation,
                    methodDisplay,
                    method.ReturnType.ToDisplayString(TypeNames.Message)));
            }

            if (known.PriorityOf(method) is int priority && (priority < 0 || priority > KnownSymbols.MaxPriority))
            {
                AttributeData attribute = KnownSymbols.FindAttribute(method, known.IpcPriorityAttribute)!;
                Location location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? methodLocation;
                problems.Add(Problem(
                    DiagnosticIds.PriorityOutOfRange,
                    location,
                    methodDisplay,
                    priority.ToString(CultureInfo.InvariantCulture),
                    KnownSymbols.MaxPriority.ToString(CultureInfo.InvariantCulture)));
            }

            int last = method.Parameters.Length - 1;
            for (int i = 0; i <= last; i++)
            {
                IParameterSymbol parameter = method.Parameters[i];
                Location parameterLocation = FirstSourceLocation(parameter) ?? methodLocation;
                if (parameter.RefKind != RefKind.None)
                {
                    problems.Add(Problem(
                        DiagnosticIds.ByRefParameter,
                        parameterLocation,
                        parameter.Name,
                        methodDisplay,
                        RefKindText(parameter.RefKind)));
                }

                if (known.IsCancellationToken(parameter.Type))
                {
                    if (i != last)
                    {
                        problems.Add(Problem(DiagnosticIds.CancellationTokenPosition, parameterLocation, parameter.Name, methodDisplay));
                    }

                    continue;
                }

                Location typeLocation = DeclarationOf<ParameterSyntax>(parameter, cancellationToken)?.Type?.GetLocation() ?? parameterLocation;
                ValidateType(parameter.Type, $"parameter '{parameter.Name}' of '{methodDisplay}'", typeLocation, problems, known, regionAllowed: true);
            }
        }

        private enum ReturnShape
        {
            Void,
            Task,
            Value,
            Unsupported,
        }

        private static ReturnShape ValidateReturn(
            IMethodSymbol method,
            KnownSymbols known,
            Location returnLocation,
            ImmutableArray<ContractProblem>.Builder problems)
        {
            ITypeSymbol type = method.ReturnType;
            string methodDisplay = method.ToDisplayString(TypeNames.Message);
            string typeDisplay = type.ToDisplayString(TypeNames.Message);
            if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            {
                problems.Add(Problem(DiagnosticIds.UnsupportedReturnType, returnLocation, methodDisplay, "ref " + typeDisplay));
                return ReturnShape.Unsupported;
            }

            if (method.ReturnsVoid)
            {
                return ReturnShape.Void;
            }

            if (KnownSymbols.Is(type, known.Task) || KnownSymbols.Is(type, known.ValueTask))
            {
                return ReturnShape.Task;
            }

            if (type is INamedTypeSymbol named
                && (KnownSymbols.Is(named.OriginalDefinition, known.TaskOfT) || KnownSymbols.Is(named.OriginalDefinition, known.ValueTaskOfT)))
            {
                if (IsAsyncLike(named.TypeArguments[0], known))
                {
                    problems.Add(Problem(DiagnosticIds.UnsupportedReturnType, returnLocation, methodDisplay, typeDisplay));
                    return ReturnShape.Unsupported;
                }

                ValidateType(named.TypeArguments[0], $"the result of '{methodDisplay}'", returnLocation, problems, known, regionAllowed: false);
                return ReturnShape.Value;
            }

            if (IsAsyncLike(type, known))
            {
                problems.Add(Problem(DiagnosticIds.UnsupportedReturnType, returnLocation, methodDisplay, typeDisplay));
                return ReturnShape.Unsupported;
            }

            ValidateType(type, $"the return type of '{methodDisplay}'", returnLocation, problems, known, regionAllowed: false);
            return ReturnShape.Value;
        }

        /// <summary>Awaitables other than Task/ValueTask, task-like types and async streams: none has a wire form.</summary>
        private static bool IsAsyncLike(ITypeSymbol type, KnownSymbols known)
        {
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                type = nullable.TypeArguments[0];
            }

            ITypeSymbol definition = type.OriginalDefinition;
            if (KnownSymbols.Is(definition, known.AsyncEnumerableOfT) || KnownSymbols.Is(definition, known.AsyncEnumeratorOfT)
                || KnownSymbols.Is(definition, known.TaskOfT) || KnownSymbols.Is(definition, known.ValueTaskOfT)
                || KnownSymbols.Is(definition, known.Task) || KnownSymbols.Is(definition, known.ValueTask))
            {
                return true;
            }

            if (KnownSymbols.HasAttribute(type, known.AsyncMethodBuilderAttribute))
            {
                return true;
            }

            for (ITypeSymbol? current = type; current is not null; current = current.BaseType)
            {
                foreach (ISymbol member in current.GetMembers("GetAwaiter"))
                {
                    if (member is IMethodSymbol { IsStatic: false, Parameters.Length: 0 })
                    {
                        return true;
                    }
                }
            }

            foreach (INamedTypeSymbol implemented in type.AllInterfaces)
            {
                if (KnownSymbols.Is(implemented.OriginalDefinition, known.AsyncEnumerableOfT))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Reports the first part of a type (itself, an element or a type argument) that cannot cross a process boundary.</summary>
        private static void ValidateType(
            ITypeSymbol type,
            string place,
            Location location,
            ImmutableArray<ContractProblem>.Builder problems,
            KnownSymbols known,
            bool regionAllowed)
        {
            ITypeSymbol? offending = FindUnsupported(type, out string? ruleId);
            if (offending is not null)
            {
                string offendingDisplay = offending.ToDisplayString(TypeNames.Message);
                problems.Add(ruleId is null
                    ? new ContractProblem(null, location, ImmutableArray<string>.Empty)
                    : Problem(ruleId, location, place, offendingDisplay));
                return;
            }

            // A shared region travels as its descriptor or name, which only a parameter of its own can carry.
            ITypeSymbol? region = regionAllowed && known.RegionElement(type) is not null ? null : FindRegion(type, known);
            if (region is not null)
            {
                problems.Add(Problem(DiagnosticIds.SharedRegionPlacement, location, place, region.ToDisplayString(TypeNames.Message)));
            }
        }

        private static ITypeSymbol? FindRegion(ITypeSymbol type, KnownSymbols known)
        {
            if (known.RegionElement(type) is not null)
            {
                return type;
            }

            if (type is IArrayTypeSymbol array)
            {
                return FindRegion(array.ElementType, known);
            }

            if (type is INamedTypeSymbol named)
            {
                foreach (ITypeSymbol argument in named.TypeArguments)
                {
                    if (FindRegion(argument, known) is { } inner)
                    {
                        return inner;
                    }
                }
            }

            return null;
        }

        private static ITypeSymbol? FindUnsupported(ITypeSymbol type, out string? ruleId)
        {
            switch (type)
            {
                case IPointerTypeSymbol:
                case IFunctionPointerTypeSymbol:
                    ruleId = DiagnosticIds.PointerType;
                    return type;
                case IErrorTypeSymbol:
                    ruleId = null; // the compiler reports it
                    return type;
                case IArrayTypeSymbol array:
                    return FindUnsupported(array.ElementType, out ruleId);
            }

            if (type.TypeKind == TypeKind.Delegate)
            {
                ruleId = DiagnosticIds.DelegateType;
                return type;
            }

            if (type.IsRefLikeType)
            {
                ruleId = DiagnosticIds.RefStructType;
                return type;
            }

            if (type is INamedTypeSymbol named)
            {
                foreach (ITypeSymbol argument in named.TypeArguments)
                {
                    ITypeSymbol? inner = FindUnsupported(argument, out ruleId);
                    if (inner is not null)
                    {
                        return inner;
                    }
                }
            }

            ruleId = null;
            return null;
        }

        private static void ValidateIds(List<ContractMethod> methods, Location contractLocation, ImmutableArray<ContractProblem>.Builder problems)
        {
            foreach (IGrouping<uint, ContractMethod> group in methods.GroupBy(m => m.Id).Where(g => g.Count() > 1))
            {
                ContractMethod[] clashing = group.ToArray();
                foreach (ContractMethod method in clashing)
                {
                    ContractMethod other = clashing.First(m => !ReferenceEquals(m, method));
                    problems.Add(Problem(
                        DiagnosticIds.DuplicateMethodId,
                        FirstSourceLocation(method.Method) ?? contractLocation,
                        method.Method.ToDisplayString(TypeNames.Message),
                        method.Id.ToString("X8", System.Globalization.CultureInfo.InvariantCulture),
                        other.Method.ToDisplayString(TypeNames.Message)));
                }
            }
        }

        private static string RefKindText(RefKind refKind)
        {
            switch (refKind)
            {
                case RefKind.Ref:
                    return "ref";
                case RefKind.Out:
                    return "out";
                case RefKind.In:
                    return "in";
                default:
                    return "ref readonly";
            }
        }

        private static bool IsPartial(TypeDeclarationSyntax declaration) =>
            declaration.Modifiers.Any(SyntaxKind.PartialKeyword);

        private static IEnumerable<TypeDeclarationSyntax> Declarations(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration)
                {
                    yield return declaration;
                }
            }
        }

        private static T? DeclarationOf<T>(ISymbol symbol, CancellationToken cancellationToken)
            where T : SyntaxNode
        {
            foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is T syntax)
                {
                    return syntax;
                }
            }

            return null;
        }

        private static Location? FirstSourceLocation(ISymbol symbol)
        {
            foreach (Location location in symbol.Locations)
            {
                if (location.IsInSource)
                {
                    return location;
                }
            }

            return null;
        }

        private static ContractProblem Problem(string ruleId, Location location, params string[] args) =>
            new ContractProblem(ruleId, location, ImmutableArray.Create(args));
    }
}
