namespace IpcGen.Generators.Model
{
    /// <summary>One parameter of a contract method.</summary>
    /// <param name="Name">The parameter's identifier, escaped if it is a keyword.</param>
    /// <param name="Value">Its type and how it travels.</param>
    /// <param name="IsCancellationToken">The trailing <c>CancellationToken</c>: passed to the runtime, never serialized.</param>
    /// <param name="IsParams">Declared with <c>params</c>.</param>
    /// <param name="DefaultValue">The default value as a C# expression, or <see langword="null"/>.</param>
    internal sealed record ParameterModel(
        string Name,
        ValueModel Value,
        bool IsCancellationToken,
        bool IsParams,
        string? DefaultValue);
}
