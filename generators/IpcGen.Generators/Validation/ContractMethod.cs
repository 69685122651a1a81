using Microsoft.CodeAnalysis;

namespace IpcGen.Generators.Validation
{
    /// <summary>A method that is part of a contract, with its wire identity. Lives only inside one parse or analysis.</summary>
    internal sealed class ContractMethod
    {
        public ContractMethod(IMethodSymbol method, bool isInherited, uint id, bool hasExplicitId, string wireSignature)
        {
            Method = method;
            IsInherited = isInherited;
            Id = id;
            HasExplicitId = hasExplicitId;
            WireSignature = wireSignature;
        }

        public IMethodSymbol Method { get; }

        /// <summary>Declared on a base interface rather than on the contract itself.</summary>
        public bool IsInherited { get; }

        public uint Id { get; }

        /// <summary>The id comes from <c>[IpcMethod(Id = n)]</c> rather than the signature hash.</summary>
        public bool HasExplicitId { get; }

        /// <summary><c>Name(T1,T2,...)</c>: the text the default id hashes.</summary>
        public string WireSignature { get; }
    }
}
