using Microsoft.CodeAnalysis;

namespace IpcGen.Generators.Validation
{
    /// <summary>How types are spelled in generated code and in wire signatures.</summary>
    internal static class TypeNames
    {
        /// <summary><c>global::</c>-qualified with nullable annotations: what generated code declares.</summary>
        public static readonly SymbolDisplayFormat Code = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>
        /// Fully qualified without <c>global::</c> and without nullable reference annotations: what method
        /// ids and the fingerprint hash. Annotations do not change the bytes on the wire, so they do not
        /// change the contract either.
        /// </summary>
        public static readonly SymbolDisplayFormat Wire = SymbolDisplayFormat.FullyQualifiedFormat
            .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)
            .RemoveMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

        /// <summary>Short, readable: what diagnostics show.</summary>
        public static readonly SymbolDisplayFormat Message = SymbolDisplayFormat.CSharpErrorMessageFormat;

        /// <summary>The contract's default name: namespace, containing types and name, dot-separated.</summary>
        public static readonly SymbolDisplayFormat ContractName = new SymbolDisplayFormat(
            globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            genericsOptions: SymbolDisplayGenericsOptions.None);
    }
}
