using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace IpcGen.Tests.Packaging;

/// <summary>
/// A long-running child process (a server) that the test talks to while it runs. Disposing it closes
/// its stdin (the polite stop), then kills the whole process tree if it is still there.
/// </summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _commandLine;

    private BackgroundProcess(string fileName, IReadOnlyList<string> arguments, string workingDirectory)
    {
        _commandLine = ProcessRunner.CommandLine(fileName, arguments);
        _process = ProcessRunner.Start(fileName, arguments, workingDirectory, _output, redirectInput: true);
    }

    public static BackgroundProcess Start(string fileName, IReadOnlyList<string> arguments, string workingDirectory)
        => new(fileName, arguments, workingDirectory);

    public string Output => ProcessRunner.Snapshot(_output);

    /// <summary>Waits until the process prints <paramref name="line"/>; fails if it exits or the time runs out first.</summary>
    public async Task WaitForLineAsync(string line, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (Output.Split('\n').Any(l => l.TrimEnd('\r') == line))
            {
                return;
            }
            if (_process.HasExited)
            {
                throw new XunitException($"`{_commandLine}` exited with code {_process.ExitCode} before printing '{line}':{Environment.NewLine}{Output}");
            }
            await Task.Delay(20);
        }
        throw new XunitException($"`{_commandLine}` did not print '{line}' within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Output}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5_000))
                {
                    ProcessRunner.Kill(_process);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            ProcessRunner.Kill(_process);
        }
        finally
        {
            _process.Dispose();
        }
    }
}
