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
    }
}
