using System.Collections.Generic;
using System.Text;
using System.Threading;
using IpcGen.Generators.Helpers;
using Microsoft.CodeAnalysis;

namespace IpcGen.Generators.Validation
{
    /// <summary>
    /// Which members make up a contract and what their wire ids are. Shared by the generator and the
    /// analyzer, so the code that is generated and the code that is checked cannot disagree.
    /// </summary>
    internal static class ContractShape
    {
        /// <summary>The contract interface first, then every interface it inherits, in declaration order.</summary>
        public static IEnumerable<INamedTypeSymbol> Interfaces(INamedTypeSymbol contract)
        {
            yield return contract;
            foreach (INamedTypeSymbol baseInterface in contract.AllInterfaces)
            {
                yield return baseInterface;
            }
        }

        /// <summary>
        /// An abstract instance method travels over the wire. Default implementations run locally on the
        /// proxy; static members belong to the type; <c>IDisposable</c>/<c>IAsyncDisposable</c> are the
        /// proxy's own lifetime, not remote calls.
        /// </summary>
        public static bool IsContractMethod(IMethodSymbol method, KnownSymbols known) =>
            method.MethodKind == MethodKind.Ordinary
            && !method.IsStatic
            && method.IsAbstract
            && !IsLifetimeInterface(method.ContainingType, known);

        public static bool IsLifetimeInterface(INamedTypeSymbol? type, KnownSymbols known) =>
            KnownSymbols.Is(type, known.Disposable) || KnownSymbols.Is(type, known.AsyncDisposable);

        public static List<ContractMethod> CollectMethods(INamedTypeSymbol contract, KnownSymbols known, CancellationToken cancellationToken)
        {
            var methods = new List<ContractMethod>();
            foreach (INamedTypeSymbol type in Interfaces(contract))
            {
                bool inherited = !SymbolEqualityComparer.Default.Equals(type, contract);
                foreach (ISymbol member in type.GetMembers())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (member is IMethodSymbol method && IsContractMethod(method, known))
                    {
                        string signature = WireSignature(method, known);
                        bool hasExplicitId = TryGetExplicitId(method, known, out uint explicitId);
                        uint id = hasExplicitId ? explicitId : Fnv1a.Hash32(signature);
                        methods.Add(new ContractMethod(method, inherited, id, hasExplicitId, signature));
                    }
                }
            }

            return methods;
        }

        /// <summary><c>Name(T1,T2,...)</c> over the parameter types, a trailing <c>CancellationToken</c> left out.</summary>
        public static string WireSignature(IMethodSymbol method, KnownSymbols known)
        {
            var builder = new StringBuilder(method.Name).Append('(');
            int count = DataParameterCount(method, known);
            for (int i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                builder.Append(method.Parameters[i].Type.ToDisplayString(TypeNames.Wire));
            }

            return builder.Append(')').ToString();
        }

        /// <summary>The number of parameters that travel as data: all but a trailing <c>CancellationToken</c>.</summary>
        public static int DataParameterCount(IMethodSymbol method, KnownSymbols known)
        {
            int count = method.Parameters.Length;
            return count > 0 && known.IsCancellationToken(method.Parameters[count - 1].Type) ? count - 1 : count;
        }

        public static bool TryGetExplicitId(IMethodSymbol method, KnownSymbols known, out uint id)
        {
            AttributeData? attribute = KnownSymbols.FindAttribute(method, known.IpcMethodAttribute);
            if (attribute is not null)
            {
                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    if (argument.Key == "Id" && argument.Value.Value is int named)
                    {
                        id = unchecked((uint)named);
                        return true;
                    }
                }

                if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int positional)
                {
                    id = unchecked((uint)positional);
                    return true;
                }
            }

            id = 0;
            return false;
        }

        /// <summary>The contract name on the wire: the attribute's <c>Name</c>, else the interface's dotted full name.</summary>
        public static string ContractName(INamedTypeSymbol contract, AttributeData? serviceAttribute)
        {
            if (serviceAttribute is not null)
            {
                foreach (KeyValuePair<string, TypedConstant> argument in serviceAttribute.NamedArguments)
                {
                    if (argument.Key == "Name" && argument.Value.Value is string name && name.Length > 0)
                    {
                        return name;
                    }
                }
            }

            return contract.ToDisplayString(TypeNames.ContractName);
        }
    }
}
