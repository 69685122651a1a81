namespace IpcGen.Tests.Infrastructure;

/// <summary>Waits for a condition another thread or process brings about, failing after a generous bound.</summary>
public static class Eventually
{
    public static void True(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting for: {what}");
            }
            Thread.Sleep(5);
        }
    }
}
