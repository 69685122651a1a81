namespace IpcGen.Generators.Model
{
    /// <summary>One contract method as the proxy and the dispatcher see it.</summary>
    /// <param name="Name">The method's identifier, escaped if it is a keyword.</param>
    /// <param name="Id">The wire id.</param>
    /// <param name="ReturnType">The declared return type, <c>global::</c>-qualified, nullable annotations kept.</param>
    /// <param name="ReturnKind">Sync, Task or ValueTask, with or without a result.</param>
    /// <param name="Result">The type of the value that travels back, or <see langword="null"/> when nothing does.</param>
    /// <param name="IsOneWay">The method is <c>[OneWay]</c>: no response frame.</param>
    /// <param name="Priority">The <c>[IpcPriority]</c> value, 0–31; 0 without the attribute.</param>
    /// <param name="Parameters">The parameters, a trailing <c>CancellationToken</c> included.</param>
    /// <param name="DeclaringInterface">The interface that declares the method, <c>global::</c>-qualified.</param>
    /// <param name="IsInherited">The method is declared on a base interface of the contract.</param>
    /// <param name="ImplementExplicitly">The proxy implements it explicitly because its name or signature would clash.</param>
    /// <param name="DispatcherMethodName">The name of the dispatcher's private method for this call, unique in the dispatcher.</param>
    internal sealed record MethodModel(
        string Name,
        uint Id,
        string ReturnType,
        ReturnKind ReturnKind,
        ValueModel? Result,
        bool IsOneWay,
        int Priority,
        EquatableArray<ParameterModel> Parameters,
        string DeclaringInterface,
        bool IsInherited,
        bool ImplementExplicitly,
        string DispatcherMethodName);
}
