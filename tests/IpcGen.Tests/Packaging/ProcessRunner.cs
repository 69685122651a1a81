using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace IpcGen.Tests.Packaging;

/// <summary>What a finished process printed (stdout and stderr interleaved) and how it exited.</summary>
internal sealed record ProcessResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    public ProcessResult EnsureSuccess()
        => ExitCode == 0 ? this : throw new XunitException($"`{CommandLine}` exited with code {ExitCode}:{Environment.NewLine}{Output}");
}

/// <summary>
/// Runs the <c>dotnet</c> CLI and the programs it builds as child processes, always with a time limit:
/// a hang fails the test with what the process printed so far instead of blocking the run.
/// </summary>
internal static class ProcessRunner
{
    /// <summary>The <c>dotnet</c> host running the tests (set by the SDK), else the one on PATH.</summary>
    public static string DotNet { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
        ? host
        : "dotnet";

    public static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var output = new StringBuilder();
        using Process process = Start(fileName, arguments, workingDirectory, output, redirectInput: false);
        var watch = Stopwatch.StartNew();
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            // Also waits for the output pipes to close, so the output is complete.
            await process.WaitForExitAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!process.HasExited)
        {
            Kill(process);
            throw new XunitException($"`{CommandLine(fileName, arguments)}` did not finish within {timeout.TotalSeconds:0} s and was killed:{Environment.NewLine}{Snapshot(output)}");
        }
        catch (OperationCanceledException)
        {
            // Exited, but a grandchild still holds its output pipe open: the exit code is what counts.
        }
        return new ProcessResult(CommandLine(fileName, arguments), process.ExitCode, Snapshot(output), watch.Elapsed);
    }

    internal static Process Start(string fileName, IReadOnlyList<string> arguments, string workingDirectory, StringBuilder output, bool redirectInput)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The test host inherits MSBuild's environment from `dotnet test`; a nested build must not see it.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }
        // No build servers or reused nodes: nothing may outlive the command and hold its output pipe.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        var process = new Process { StartInfo = start };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    internal static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    internal static string CommandLine(string fileName, IEnumerable<string> arguments)
        => string.Join(' ', arguments.Prepend(fileName).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}
