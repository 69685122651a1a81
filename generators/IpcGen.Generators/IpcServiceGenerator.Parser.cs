using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using IpcGen.Generators.Helpers;
using IpcGen.Generators.Model;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace IpcGen.Generators
{
    public sealed partial class IpcServiceGenerator
    {
        /// <summary>Turns an <c>[IpcService]</c> interface into a <see cref="ContractModel"/>; symbols never leave this class.</summary>
        internal static class Parser
        {
            private const string DefaultTransport = "global::IpcGen.IpcTransport.UnixSocket";

            /// <summary>Members of the generated proxy (and of <c>object</c>) a contract method must not be confused with.</summary>
            private static readonly ImmutableHashSet<string> ProxyMemberNames = ImmutableHashSet.Create(
                "IpcProxy", "Client", "Dispose", "DisposeAsync", "_client",
                "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals");

            /// <summary>Members of the generated dispatcher (and of <c>object</c>) its per-method helpers must not collide with.</summary>
            private static readonly ImmutableHashSet<string> DispatcherMemberNames = ImmutableHashSet.Create(
                "IpcDispatcher", "ContractName", "ContractFingerprint", "DispatchAsync", "_service",
                "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals");

            public static ContractModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
            {
                if (context.TargetSymbol is not INamedTypeSymbol contract || contract.TypeKind != TypeKind.Interface)
                {
                    return null;
                }

                var known = new KnownSymbols(context.SemanticModel.Compilation);
                List<ContractMethod> methods = ContractShape.CollectMethods(contract, known, cancellationToken);
                if (!ContractValidator.Validate(contract, known, methods, cancellationToken).IsEmpty)
                {
                    return null; // the analyzer tells the user why
                }

                AttributeData? attribute = context.Attributes.IsDefaultOrEmpty ? null : context.Attributes[0];
                string contractName = ContractShape.ContractName(contract, attribute);
                methods.Sort((left, right) => left.Id.CompareTo(right.Id));

                var methodModels = new MethodModel[methods.Count];
                for (int i = 0; i < methods.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    methodModels[i] = ParseMethod(methods[i], methods, known);
                }

                return new ContractModel(
                    HintName: HintName(contract),
                    Namespace: contract.ContainingNamespace.IsGlobalNamespace
                        ? null
                        : contract.ContainingNamespace.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)),
                    ContainingTypes: ContainingTypes(contract),
                    InterfaceName: CSharpSyntaxText.Identifier(contract.Name),
                    FullyQualifiedName: contract.ToDisplayString(TypeNames.Code),
                    ContractName: contractName,
                    Fingerprint: Fingerprint(contractName, methods, known),
                    TransportExpression: Transport(attribute),
                    HidesBaseContract: contract.AllInterfaces.Any(i => KnownSymbols.HasAttribute(i, known.IpcServiceAttribute)),
                    Methods: new EquatableArray<MethodModel>(methodModels));
            }

            private static MethodModel ParseMethod(ContractMethod contractMethod, List<ContractMethod> all, KnownSymbols known)
            {
                IMethodSymbol method = contractMethod.Method;
                ITypeSymbol returnType = method.ReturnType;
                ReturnKind kind;
                ValueModel? result = null;
                if (method.ReturnsVoid)
                {
                    kind = ReturnKind.Void;
                }
                else if (KnownSymbols.Is(returnType, known.Task))
                {
                    kind = ReturnKind.Task;
                }
                else if (KnownSymbols.Is(returnType, known.ValueTask))
                {
                    kind = ReturnKind.ValueTask;
                }
                else if (returnType is INamedTypeSymbol named && KnownSymbols.Is(named.OriginalDefinition, known.TaskOfT))
                {
                    kind = ReturnKind.TaskOfT;
                    result = Value(named.TypeArguments[0], known);
                }
                else if (returnType is INamedTypeSymbol namedValueTask && KnownSymbols.Is(namedValueTask.OriginalDefinition, known.ValueTaskOfT))
                {
                    kind = ReturnKind.ValueTaskOfT;
                    result = Value(namedValueTask.TypeArguments[0], known);
                }
                else
                {
                    kind = ReturnKind.Value;
                    result = Value(returnType, known);
                }

                int dataParameters = ContractShape.DataParameterCount(method, known);
                var parameters = new ParameterModel[method.Parameters.Length];
                for (int i = 0; i < parameters.Length; i++)
                {
                    IParameterSymbol parameter = method.Parameters[i];
                    ValueModel value = Value(parameter.Type, known);
                    parameters[i] = new ParameterModel(
                        Name: CSharpSyntaxText.Identifier(parameter.Name),
                        Value: value,
                        IsCancellationToken: i >= dataParameters,
                        IsParams: parameter.IsParams,
                        DefaultValue: CSharpSyntaxText.DefaultValue(parameter, value.Type));
                }

                bool sameSignatureElsewhere = all.Any(other =>
                    !ReferenceEquals(other, contractMethod) && CSharpSignature(other.Method) == CSharpSignature(method));
                bool nameShared = all.Any(other => !ReferenceEquals(other, contractMethod) && other.Method.Name == method.Name);
                string escapedName = CSharpSyntaxText.Identifier(method.Name);

                return new MethodModel(
                    Name: escapedName,
                    Id: contractMethod.Id,
                    ReturnType: returnType.ToDisplayString(TypeNames.Code),
                    ReturnKind: kind,
                    Result: result,
                    IsOneWay: KnownSymbols.HasAttribute(method, known.OneWayAttribute),
                    Priority: known.PriorityOf(method) ?? 0,
                    Parameters: new EquatableArray<ParameterModel>(parameters),
                    DeclaringInterface: method.ContainingType.ToDisplayString(TypeNames.Code),
                    IsInherited: contractMethod.IsInherited,
                    ImplementExplicitly: sameSignatureElsewhere || ProxyMemberNames.Contains(method.Name),
                    DispatcherMethodName: nameShared || DispatcherMemberNames.Contains(method.Name)
                        ? method.Name + "_" + contractMethod.Id.ToString("X8", CultureInfo.InvariantCulture)
                        : escapedName);
            }

            private static ValueModel Value(ITypeSymbol type, KnownSymbols known)
            {
                if (known.RegionElement(type) is { } element)
                {
                    return new ValueModel(type.ToDisplayString(TypeNames.Code), IsUnmanaged: false,
                        RegionElementType: element.ToDisplayString(TypeNames.Code));
                }

                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                    && nullable.TypeArguments[0].IsUnmanagedType)
                {
                    return new ValueModel(type.ToDisplayString(TypeNames.Code), IsUnmanaged: false,
                        NullableUnderlyingType: nullable.TypeArguments[0].ToDisplayString(TypeNames.Code));
                }
                return new ValueModel(type.ToDisplayString(TypeNames.Code), type.IsUnmanagedType);
            }

            /// <summary>Name and parameter types as C# compares signatures (annotations do not count).</summary>
            private static string CSharpSignature(IMethodSymbol method) =>
                method.Name + "(" + string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(TypeNames.Wire))) + ")";

            /// <summary>
            /// FNV-1a 64 over <c>id:Name(T1,...)-&gt;R;</c> for each method in id order (<c>-&gt;R oneway;</c> for
            /// one-way methods), followed by the contract name.
            /// </summary>
            private static ulong Fingerprint(string contractName, List<ContractMethod> methodsById, KnownSymbols known)
            {
                var text = new StringBuilder();
                foreach (ContractMethod method in methodsById)
                {
                    text.Append(method.Id.ToString("X8", CultureInfo.InvariantCulture))
                        .Append(':')
                        .Append(method.WireSignature)
                        .Append("->")
                        .Append(method.Method.ReturnType.ToDisplayString(TypeNames.Wire));
                    if (KnownSymbols.HasAttribute(method.Method, known.OneWayAttribute))
                    {
                        text.Append(" oneway");
                    }

                    text.Append(';');
                }

                return Fnv1a.Hash64(text.Append(contractName).ToString());
            }

            private static string Transport(AttributeData? attribute)
            {
                if (attribute is null)
                {
                    return DefaultTransport;
                }

                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    if (argument.Key != "Transport" || argument.Value.Value is null)
                    {
                        continue;
                    }

                    object value = argument.Value.Value;
                    if (argument.Value.Type is INamedTypeSymbol enumType)
                    {
                        foreach (ISymbol member in enumType.GetMembers())
                        {
                            if (member is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value))
                            {
                                return "global::IpcGen.IpcTransport." + CSharpSyntaxText.Identifier(field.Name);
                            }
                        }
                    }

                    string number = System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "0";
                    return "(global::IpcGen.IpcTransport)" + (number.StartsWith("-", System.StringComparison.Ordinal) ? "(" + number + ")" : number);
                }

                return DefaultTransport;
            }

            private static EquatableArray<ContainingTypeModel> ContainingTypes(INamedTypeSymbol contract)
            {
                var types = new List<ContainingTypeModel>();
                for (INamedTypeSymbol? outer = contract.ContainingType; outer is not null; outer = outer.ContainingType)
                {
                    string keyword = outer.TypeKind switch
                    {
                        TypeKind.Struct => outer.IsRecord ? "record struct" : "struct",
                        TypeKind.Interface => "interface",
                        _ => outer.IsRecord ? "record" : "class",
                    };
                    types.Insert(0, new ContainingTypeModel(keyword, CSharpSyntaxText.Identifier(outer.Name)));
                }

                return new EquatableArray<ContainingTypeModel>(types.ToArray());
            }

            /// <summary><c>Namespace.Outer.IFoo.IpcService.g.cs</c>; the global namespace contributes nothing.</summary>
            private static string HintName(INamedTypeSymbol contract)
            {
                var parts = new List<string>();
                for (ISymbol? current = contract; current is INamedTypeSymbol type; current = type.ContainingSymbol)
                {
                    parts.Insert(0, type.Name);
                }

                if (!contract.ContainingNamespace.IsGlobalNamespace)
                {
                    parts.Insert(0, contract.ContainingNamespace.ToDisplayString());
                }

                return string.Join(".", parts) + ".IpcService.g.cs";
            }
        }
    }
}
