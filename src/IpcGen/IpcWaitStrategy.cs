namespace IpcGen;

/// <summary>How a side waits for data on the shared-memory transport.</summary>
public enum IpcWaitStrategy
{
    /// <summary>
    /// Spin briefly, then yield, then sleep on a shared futex; the writer pays for a wake-up only when
    /// the reader really sleeps. Low latency under load, no CPU when idle. The default.
    /// </summary>
    Adaptive = 0,

    /// <summary>
    /// Never sleep while a call is pending: lowest latency and no system call per call, at the price of
    /// a busy core per waiting thread. Choose it only with a core to spare for each side.
    /// </summary>
    Spin = 1,

    /// <summary>Sleep on the futex at once: least CPU, a wake-up system call per message.</summary>
    Blocking = 2,
}
