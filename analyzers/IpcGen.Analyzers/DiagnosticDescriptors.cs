using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace IpcGen.Analyzers
{
    /// <summary>One descriptor per rule. Messages say what is wrong and what to do about it.</summary>
    internal static class DiagnosticDescriptors
    {
        public const string ContractCategory = "IpcGen.Contract";

        public static readonly DiagnosticDescriptor InterfaceMustBePartial = Error(
            DiagnosticIds.InterfaceMustBePartial,
            "IPC contract interface must be partial",
            "Interface '{0}' is marked [IpcService] but is not partial; declare it 'partial' so IpcGen can add its proxy, dispatcher and entry points");

        public static readonly DiagnosticDescriptor ContainingTypeMustBePartial = Error(
            DiagnosticIds.ContainingTypeMustBePartial,
            "Type containing an IPC contract must be partial",
            "Type '{0}' contains the [IpcService] interface '{1}' but is not partial; declare '{0}' partial so the generated members can be added inside it");

        public static readonly DiagnosticDescriptor GenericInterface = Error(
            DiagnosticIds.GenericInterface,
            "IPC contract interface cannot be generic",
            "Interface '{0}' is generic or nested in a generic type; both ends of a connection need one fixed contract, so declare a non-generic interface per concrete type");

        public static readonly DiagnosticDescriptor GenericMethod = Error(
            DiagnosticIds.GenericMethod,
            "IPC contract method cannot be generic",
            "Method '{0}' is generic; a type argument cannot be agreed on across processes, so use concrete types (one method per type if needed)");

        public static readonly DiagnosticDescriptor ByRefParameter = Error(
            DiagnosticIds.ByRefParameter,
            "IPC contract parameter cannot be ref, out, in or ref readonly",
            "Parameter '{0}' of '{1}' is passed '{2}'; another process cannot read or write the caller's variable, so pass it by value and return results in the return value (a record or tuple for several)");

        public static readonly DiagnosticDescriptor PointerType = Error(
            DiagnosticIds.PointerType,
            "IPC contract cannot use pointer types",
            "The type of {0} is or contains the pointer type '{1}'; an address means nothing in another process, so pass the data itself (an unmanaged struct or an array)");

        public static readonly DiagnosticDescriptor DelegateType = Error(
            DiagnosticIds.DelegateType,
            "IPC contract cannot use delegate types",
            "The type of {0} is or contains the delegate type '{1}'; code cannot be sent to another process, so send data and let the receiving side choose what to run");

        public static readonly DiagnosticDescriptor RefStructType = Error(
            DiagnosticIds.RefStructType,
            "IPC contract cannot use ref struct types",
            "The type of {0} is or contains the ref struct '{1}'; IpcGen does not support ref structs (Span<T>, ReadOnlySpan<T> and the like) anywhere in a contract, so use an array or a List<T>");

        public static readonly DiagnosticDescriptor UnsupportedReturnType = Error(
            DiagnosticIds.UnsupportedReturnType,
            "IPC contract method has an unsupported return type",
            "Method '{0}' returns '{1}', which cannot be returned across processes; return void, T, Task, Task<T>, ValueTask or ValueTask<T>");

        public static readonly DiagnosticDescriptor OneWayReturnsValue = Error(
            DiagnosticIds.OneWayReturnsValue,
            "A [OneWay] method cannot return a value",
            "Method '{0}' is [OneWay] but returns '{1}'; a one-way call gets no response, so return void, Task or ValueTask, or remove [OneWay]");

        public static readonly DiagnosticDescriptor CancellationTokenPosition = Error(
            DiagnosticIds.CancellationTokenPosition,
            "CancellationToken must be the single, last parameter",
            "CancellationToken parameter '{0}' of '{1}' must be the last parameter, and a method can have only one; move it to the end or remove the extra token");

        public static readonly DiagnosticDescriptor DuplicateMethodId = Error(
            DiagnosticIds.DuplicateMethodId,
            "IPC contract methods must have distinct ids",
            "Method '{0}' has wire id 0x{1}, which '{2}' has too; give one of them a distinct [IpcMethod(Id = n)]");

        public static readonly DiagnosticDescriptor UnsupportedMember = Error(
            DiagnosticIds.UnsupportedMember,
            "IPC contract can contain only methods",
            "'{0}' is a {1}; an IPC contract supports instance methods only, so replace it with methods (for example GetX() and SetX(value))");

        public static readonly DiagnosticDescriptor ReservedMemberName = Error(
            DiagnosticIds.ReservedMemberName,
            "IPC contract method uses a reserved name",
            "Method '{0}' is named '{1}', which IpcGen generates on every contract (IpcContractName, IpcContractFingerprint, Connect, ConnectAsync, Serve, IpcProxy, IpcDispatcher); rename the method");

        private static DiagnosticDescriptor Error(string id, string title, string message) => new DiagnosticDescriptor(
            id,
            title,
            message,
            ContractCategory,
            DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: null,
            helpLinkUri: HelpLink(id));

        public static string HelpLink(string id) => $"https://github.com/ipcgen/ipcgen/blob/main/analyzers/docs/{id}.md";
    }
}
