namespace IpcGen.Generators.Model
{
    /// <summary>Everything the emitter needs to write one contract's file; value-equal, free of symbols.</summary>
    /// <param name="HintName">The generated file's name.</param>
    /// <param name="Namespace">The interface's namespace, or <see langword="null"/> for the global namespace.</param>
    /// <param name="ContainingTypes">Types the interface is nested in, outermost first.</param>
    /// <param name="InterfaceName">The interface's identifier, escaped if it is a keyword.</param>
    /// <param name="FullyQualifiedName">The interface as a <c>global::</c>-qualified type name.</param>
    /// <param name="ContractName">The contract name on the wire.</param>
    /// <param name="Fingerprint">The hash of the whole contract.</param>
    /// <param name="TransportExpression">The C# expression of the default transport.</param>
    /// <param name="HidesBaseContract">A base interface is itself a contract, so the entry points need <c>new</c>.</param>
    /// <param name="Methods">The contract's methods, ordered by wire id.</param>
    internal sealed record ContractModel(
        string HintName,
        string? Namespace,
        EquatableArray<ContainingTypeModel> ContainingTypes,
        string InterfaceName,
        string FullyQualifiedName,
        string ContractName,
        ulong Fingerprint,
        string TransportExpression,
        bool HidesBaseContract,
        EquatableArray<MethodModel> Methods);
}
