using IpcGen.Generators.Model;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcGen.Generators
{
    /// <summary>
    /// Generates the client proxy, the server dispatcher and the typed entry points
    /// (<c>Connect</c>, <c>ConnectAsync</c>, <c>Serve</c>) of every <c>[IpcService]</c> interface.
    /// Interfaces that break a contract rule are skipped; <c>IpcGen.Analyzers</c> reports why, from the
    /// same validation code, so a consumer sees each problem exactly once.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class IpcServiceGenerator : IIncrementalGenerator
    {
        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ContractModel> contracts = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownSymbols.IpcServiceAttributeName,
                    predicate: static (node, _) => node is InterfaceDeclarationSyntax,
                    transform: static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
                .WithTrackingName(TrackingNames.Contracts)
                .Where(static model => model is not null)
                .Select(static (model, _) => model!)
                .WithTrackingName(TrackingNames.ValidContracts);

            context.RegisterSourceOutput(contracts, static (output, contract) =>
                output.AddSource(contract.HintName, Emitter.Emit(contract, output.CancellationToken)));
        }
    }
}
