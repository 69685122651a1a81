namespace IpcGen.Generators.Model
{
    /// <summary>The shape of a contract method's return type.</summary>
    internal enum ReturnKind
    {
        Void,
        Value,
        Task,
        TaskOfT,
        ValueTask,
        ValueTaskOfT,
    }
}
