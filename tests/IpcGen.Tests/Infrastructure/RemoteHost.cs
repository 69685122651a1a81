using System.Diagnostics;

namespace IpcGen.Tests.Infrastructure;

/// <summary>
/// A second process running tests/IpcGen.Tests.RemoteHost. Disposing kills it (and waits), so a test
/// that fails half-way never leaves it behind; it also exits on its own when our stdin pipe closes.
/// </summary>
public sealed class RemoteHost : IDisposable
{
    private readonly Process _process;

    private RemoteHost(Process process, int pid)
    {
        _process = process;
        ProcessId = pid;
    }

    public int ProcessId { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The next line the host prints, or an exception if none comes in time.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout) || line.Result is not { } text)
        {
            throw new InvalidOperationException($"remote host printed nothing more: {(_process.HasExited ? _process.StandardError.ReadToEnd() : "(still running)")}");
        }
        return text;
    }

    public static RemoteHost Start(string mode, string endpoint, IpcTransport transport, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(HostPath);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(endpoint);
        info.ArgumentList.Add(transport.ToString());
        foreach (string argument in extra)
        {
            info.ArgumentList.Add(argument);
        }
        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start the remote host");
        try
        {
            Task<string?> line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result is not { } ready || !ready.StartsWith("READY ", StringComparison.Ordinal))
            {
                string error = process.HasExited ? process.StandardError.ReadToEnd() : "(still running)";
                throw new InvalidOperationException($"remote host '{mode}' did not get ready: {error}");
            }
            return new RemoteHost(process, int.Parse(ready.AsSpan(6)));
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>kill -9, then wait until the kernel has reaped it.</summary>
    public void KillHard()
    {
        Kill(_process);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close(); // asks a server to stop cleanly
                if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    Kill(_process);
                }
            }
        }
        finally
        {
            Kill(_process);
            _process.Dispose();
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>The remote host's assembly, for tests that start it some other way (as a worker).</summary>
    public static string HostAssembly => HostPath;

    private static string HostPath
    {
        get
        {
            // tests/IpcGen.Tests/bin/<Configuration>/<tfm>/ -> tests/IpcGen.Tests.RemoteHost/bin/<Configuration>/<tfm>/
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            string tfm = here.Name;
            string configuration = here.Parent!.Name;
            DirectoryInfo tests = here.Parent!.Parent!.Parent!.Parent!;
            string path = Path.Combine(tests.FullName, "IpcGen.Tests.RemoteHost", "bin", configuration, tfm, "IpcGen.Tests.RemoteHost.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build tests/IpcGen.Tests.RemoteHost first", path);
        }
    }
}
