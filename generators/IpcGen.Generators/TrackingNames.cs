namespace IpcGen.Generators
{
    /// <summary>Names of the pipeline steps, so tests can assert what was cached between runs.</summary>
    internal static class TrackingNames
    {
        /// <summary>Each <c>[IpcService]</c> interface parsed and validated into a model (or null when it cannot be generated).</summary>
        public const string Contracts = nameof(Contracts);

        /// <summary>The contracts that can be generated.</summary>
        public const string ValidContracts = nameof(ValidContracts);
    }
}
