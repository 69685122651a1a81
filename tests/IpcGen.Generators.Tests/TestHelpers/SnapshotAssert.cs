using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex;
using DiffPlex.Model;
using Xunit.Sdk;

namespace IpcGen.Generators.Tests.TestHelpers;

/// <summary>
/// Compares generated source with a snapshot kept next to the tests, in Verify.SourceGenerators' layout:
/// <c>Snapshots/{TestClass}.{TestMethod}#{hintName without .cs}.verified.cs</c>. On a mismatch it writes the
/// actual text to <c>*.received.cs</c> and fails with a unified diff. A missing snapshot fails too, unless
/// <c>IPCGEN_ACCEPT_SNAPSHOTS=1</c>, which accepts the received text as the new snapshot.
/// </summary>
public static class SnapshotAssert
{
    private const string AcceptVariable = "IPCGEN_ACCEPT_SNAPSHOTS";

    public static void Matches(
        string actual,
        string hintName,
        [CallerFilePath] string testFile = "",
        [CallerMemberName] string testMethod = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string testClass = Path.GetFileNameWithoutExtension(testFile);
        string stem = $"{testClass}.{testMethod}#{StripCs(hintName)}";
        string verifiedPath = Path.Combine(directory, stem + ".verified.cs");
        string receivedPath = Path.Combine(directory, stem + ".received.cs");
        actual = Normalize(actual);
        bool accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1";

        if (File.Exists(verifiedPath))
        {
            string expected = Normalize(File.ReadAllText(verifiedPath));
            if (expected == actual)
            {
                File.Delete(receivedPath);
                return;
            }

            if (!accept)
            {
                File.WriteAllText(receivedPath, actual);
                throw new XunitException(
                    $"Generated source differs from {Path.GetFileName(verifiedPath)}; the actual text is in {Path.GetFileName(receivedPath)}.\n" +
                    $"Accept it by copying it over the verified file, or rerun with {AcceptVariable}=1.\n" +
                    UnifiedDiff(expected, actual, Path.GetFileName(verifiedPath), Path.GetFileName(receivedPath)));
            }
        }
        else if (!accept)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(receivedPath, actual);
            throw new XunitException(
                $"No snapshot {Path.GetFileName(verifiedPath)} yet; the generated text is in {Path.GetFileName(receivedPath)}. " +
                $"Read it, then accept it by renaming it to .verified.cs or rerunning with {AcceptVariable}=1.");
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(verifiedPath, actual);
        File.Delete(receivedPath);
    }

    /// <summary>Verify names a snapshot by the hint name without its <c>.cs</c> extension.</summary>
    private static string StripCs(string hintName) =>
        hintName.EndsWith(".cs", StringComparison.Ordinal) ? hintName[..^3] : hintName;

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    /// <summary>A unified diff with three lines of context, as <c>diff -u</c> would print it.</summary>
    internal static string UnifiedDiff(string expected, string actual, string expectedName, string actualName)
    {
        const int context = 3;
        DiffResult diff = Differ.Instance.CreateLineDiffs(expected, actual, ignoreWhitespace: false, ignoreCase: false);
        IReadOnlyList<string> a = diff.PiecesOld;
        IReadOnlyList<string> b = diff.PiecesNew;
        var output = new StringBuilder();
        output.Append("--- ").Append(expectedName).Append('\n');
        output.Append("+++ ").Append(actualName).Append('\n');

        int i = 0;
        while (i < diff.DiffBlocks.Count)
        {
            // Merge blocks whose context would overlap into one hunk.
            int j = i;
            while (j + 1 < diff.DiffBlocks.Count
                   && diff.DiffBlocks[j + 1].DeleteStartA - (diff.DiffBlocks[j].DeleteStartA + diff.DiffBlocks[j].DeleteCountA) <= 2 * context)
            {
                j++;
            }

            DiffBlock first = diff.DiffBlocks[i];
            DiffBlock last = diff.DiffBlocks[j];
            int startA = Math.Max(0, first.DeleteStartA - context);
            int endA = Math.Min(a.Count, last.DeleteStartA + last.DeleteCountA + context);
            int startB = Math.Max(0, first.InsertStartB - (first.DeleteStartA - startA));
            int endB = Math.Min(b.Count, last.InsertStartB + last.InsertCountB + (endA - (last.DeleteStartA + last.DeleteCountA)));
            output.Append($"@@ -{startA + 1},{endA - startA} +{startB + 1},{endB - startB} @@\n");

            int lineA = startA;
            for (int k = i; k <= j; k++)
            {
                DiffBlock block = diff.DiffBlocks[k];
                for (; lineA < block.DeleteStartA; lineA++)
                {
                    output.Append(' ').Append(a[lineA]).Append('\n');
                }

                for (int d = 0; d < block.DeleteCountA; d++)
                {
                    output.Append('-').Append(a[block.DeleteStartA + d]).Append('\n');
                }

                for (int n = 0; n < block.InsertCountB; n++)
                {
                    output.Append('+').Append(b[block.InsertStartB + n]).Append('\n');
                }

                lineA = block.DeleteStartA + block.DeleteCountA;
            }

            for (; lineA < endA; lineA++)
            {
                output.Append(' ').Append(a[lineA]).Append('\n');
            }

            i = j + 1;
        }

        return output.ToString();
    }
}
