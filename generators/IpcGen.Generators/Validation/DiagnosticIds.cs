namespace IpcGen.Generators.Validation
{
    /// <summary>
    /// Rule ids. IPCG001–099 are contract rules (this shared validation); 100–199 shared memory safety;
    /// 200–299 transport and configuration; 300–399 security and reliability. An id is never reused.
    /// </summary>
    internal static class DiagnosticIds
    {
        public const string InterfaceMustBePartial = "IPCG001";
        public const string ContainingTypeMustBePartial = "IPCG002";
        public const string GenericInterface = "IPCG003";
        public const string GenericMethod = "IPCG004";
        public const string ByRefParameter = "IPCG005";
        public const string PointerType = "IPCG006";
        public const string DelegateType = "IPCG007";
        public const string RefStructType = "IPCG008";
        public const string UnsupportedReturnType = "IPCG009";
        public const string OneWayReturnsValue = "IPCG010";
        public const string CancellationTokenPosition = "IPCG011";
        public const string DuplicateMethodId = "IPCG012";
        public const string UnsupportedMember = "IPCG013";
        public const string ReservedMemberName = "IPCG014";
        public const string PriorityOutOfRange = "IPCG015";
        public const string SharedRegionPlacement = "IPCG016";

        // Shared memory safety (analyzers/IpcGen.Analyzers/SharedMemory).
        public const string SharedStructUnsafeField = "IPCG100";
        public const string SharedStructLayout = "IPCG101";
        public const string UnsynchronizedSharedWrite = "IPCG102";
        public const string NonAtomicSharedUpdate = "IPCG103";
        public const string MisalignedAtomicField = "IPCG104";
        public const string TornSharedWrite = "IPCG105";
        public const string SharedLockNotReleased = "IPCG106";
        public const string SharedCountersFalseSharing = "IPCG107";

        // Transport and configuration (analyzers/IpcGen.Analyzers/Configuration).
        public const string AbstractNamespaceEndpoint = "IPCG200";

        // Security and reliability (analyzers/IpcGen.Analyzers/Security).
        public const string AuthorizationAdmitsEveryone = "IPCG300";
    }
}
