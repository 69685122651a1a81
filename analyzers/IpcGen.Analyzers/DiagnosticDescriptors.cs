using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;

namespace IpcGen.Analyzers
{
    /// <summary>One descriptor per rule. Messages say what is wrong and what to do about it.</summary>
    internal static class DiagnosticDescriptors
    {
        public const string ContractCategory = "IpcGen.Contract";
        public const string SharedMemoryCategory = "IpcGen.SharedMemory";
        public const string ConfigurationCategory = "IpcGen.Configuration";
        public const string SecurityCategory = "IpcGen.Security";

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
            "Method '{0}' is named '{1}', which IpcGen generates on every contract (IpcContractName, IpcContractFingerprint, Connect, ConnectAsync, Serve, SpawnWorker, ServeWorker, IpcProxy, IpcDispatcher); rename the method");

        public static readonly DiagnosticDescriptor PriorityOutOfRange = Error(
            DiagnosticIds.PriorityOutOfRange,
            "[IpcPriority] must be between 0 and 31",
            "Method '{0}' has [IpcPriority({1})]; a call priority is 0 (bulk, the default) to {2} (most urgent), the range every POSIX message queue supports, so pick a value in it");

        public static readonly DiagnosticDescriptor SharedRegionPlacement = Error(
            DiagnosticIds.SharedRegionPlacement,
            "A SharedRegion<T> can only be a parameter of its own",
            "The type of {0} is or contains '{1}'; a shared region crosses processes as its file descriptor or name, which only a parameter of type SharedRegion<T> carries, so pass the region as a parameter of its own and return data, or the region's name, instead");

        public static readonly DiagnosticDescriptor SharedStructUnsafeField = Rule(
            DiagnosticIds.SharedStructUnsafeField,
            SharedMemoryCategory,
            DiagnosticSeverity.Error,
            "Shared struct field cannot hold a reference, a pointer or a native-sized integer",
            "Field '{0}' of shared struct '{1}' has type '{2}', {3}; an address means nothing in another process, so store the data itself (or an offset into the region)");

        public static readonly DiagnosticDescriptor SharedStructLayout = Rule(
            DiagnosticIds.SharedStructLayout,
            SharedMemoryCategory,
            DiagnosticSeverity.Warning,
            "Shared struct must declare sequential or explicit layout",
            "Shared struct '{0}' {1}; its layout is a contract between processes, so declare it with [StructLayout(LayoutKind.Sequential)] or [StructLayout(LayoutKind.Explicit)]");

        public static readonly DiagnosticDescriptor UnsynchronizedSharedWrite = Rule(
            DiagnosticIds.UnsynchronizedSharedWrite,
            SharedMemoryCategory,
            DiagnosticSeverity.Warning,
            "Shared memory is written without the lock or an atomic operation",
            "'{0}' is in shared memory and is written here without holding the region's lock; another process may read it at any moment, so write it inside 'using (region.Lock())' or with Volatile.Write/Interlocked");

        public static readonly DiagnosticDescriptor NonAtomicSharedUpdate = Rule(
            DiagnosticIds.NonAtomicSharedUpdate,
            SharedMemoryCategory,
            DiagnosticSeverity.Warning,
            "Read-modify-write of shared memory is not atomic",
            "'{0}' of '{1}' reads and then writes shared memory in two steps; updates from other processes in between are lost, so use Interlocked (Increment, Decrement, Add, Or, And) or hold the region's lock");

        public static readonly DiagnosticDescriptor MisalignedAtomicField = Rule(
            DiagnosticIds.MisalignedAtomicField,
            SharedMemoryCategory,
            DiagnosticSeverity.Error,
            "8-byte field used atomically is not 8-byte aligned",
            "'{0}' is an 8-byte field at offset {1} of '{2}', which is not a multiple of 8 ({3}); atomic operations on it are not guaranteed atomic and may fault, so align it (remove Pack, or use an offset that is a multiple of 8)");

        public static readonly DiagnosticDescriptor TornSharedWrite = Rule(
            DiagnosticIds.TornSharedWrite,
            SharedMemoryCategory,
            DiagnosticSeverity.Warning,
            "Value wider than 8 bytes is written to shared memory without the lock",
            "'{0}' is {1} bytes of type '{2}' written to shared memory without holding the region's lock; no CPU writes that many bytes atomically, so a reader in another process can see half old, half new, so write it inside 'using (region.Lock())'");

        public static readonly DiagnosticDescriptor SharedLockNotReleased = Rule(
            DiagnosticIds.SharedLockNotReleased,
            SharedMemoryCategory,
            DiagnosticSeverity.Warning,
            "Shared lock is acquired without using or try/finally",
            "The lock taken by '{0}' {1}; an exception would leave it held and every other process waiting, so acquire it in a 'using' statement or declaration, or dispose the guard in a finally block");

        public static readonly DiagnosticDescriptor SharedCountersFalseSharing = Rule(
            DiagnosticIds.SharedCountersFalseSharing,
            SharedMemoryCategory,
            DiagnosticSeverity.Info,
            "Fields written atomically by different code share a cache line",
            "'{0}' (offset {1}) and '{2}' (offset {3}) of shared struct '{4}' are written atomically by different code ('{5}' and '{6}') but lie in the same 128-byte block; every write by one side evicts the other's cache line, so put 128 bytes between them",
            WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor AbstractNamespaceEndpoint = Rule(
            DiagnosticIds.AbstractNamespaceEndpoint,
            ConfigurationCategory,
            DiagnosticSeverity.Warning,
            "Endpoint name looks like an abstract-namespace socket",
            "Endpoint \"{0}\" starts with '{1}', the notation for a Linux abstract-namespace socket; IpcGen does not use that namespace (it has no permissions: any local user could connect or take the name), so the prefix would end up in a file name; use a plain name such as \"{2}\"");

        public static readonly DiagnosticDescriptor AuthorizationAdmitsEveryone = Rule(
            DiagnosticIds.AuthorizationAdmitsEveryone,
            SecurityCategory,
            DiagnosticSeverity.Warning,
            "Authorization policy admits every user",
            "This custom authorization policy returns true for every peer, so any local user can call the service; use IpcAuthorizationPolicy.SameUser (the default), AllowUsers or AllowGroups, or check the peer's uid/gid in the predicate");

        private static DiagnosticDescriptor Rule(string id, string category, DiagnosticSeverity severity, string title, string message, params string[] customTags) => new DiagnosticDescriptor(
            id,
            title,
            message,
            category,
            severity,
            isEnabledByDefault: true,
            description: null,
            helpLinkUri: HelpLink(id),
            customTags: customTags);

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
