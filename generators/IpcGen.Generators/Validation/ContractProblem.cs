using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace IpcGen.Generators.Validation
{
    /// <summary>
    /// One reason a contract cannot be generated. The analyzer turns it into a diagnostic; the generator
    /// only needs to know that there is one, and skips the interface.
    /// </summary>
    /// <param name="RuleId">
    /// A <see cref="DiagnosticIds"/> constant, or <see langword="null"/> when the compiler already reports the
    /// cause (an unresolved type) and IpcGen adds no diagnostic of its own.
    /// </param>
    /// <param name="Location">Where the problem is: the offending identifier, parameter or type.</param>
    /// <param name="MessageArgs">The arguments of the rule's message format.</param>
    internal sealed record ContractProblem(string? RuleId, Location Location, ImmutableArray<string> MessageArgs);
}
