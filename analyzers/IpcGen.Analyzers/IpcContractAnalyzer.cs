using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace IpcGen.Analyzers
{
    /// <summary>
    /// Reports why an <c>[IpcService]</c> interface cannot become an IPC contract (IPCG001–099). It runs
    /// the validation the generator runs, so everything reported here is exactly what the generator skips.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class IpcContractAnalyzer : DiagnosticAnalyzer
    {
        private static readonly ImmutableDictionary<string, DiagnosticDescriptor> DescriptorsById = new[]
        {
            DiagnosticDescriptors.InterfaceMustBePartial,
            DiagnosticDescriptors.ContainingTypeMustBePartial,
            DiagnosticDescriptors.GenericInterface,
            DiagnosticDescriptors.GenericMethod,
            DiagnosticDescriptors.ByRefParameter,
            DiagnosticDescriptors.PointerType,
            DiagnosticDescriptors.DelegateType,
            DiagnosticDescriptors.RefStructType,
            DiagnosticDescriptors.UnsupportedReturnType,
            DiagnosticDescriptors.OneWayReturnsValue,
            DiagnosticDescriptors.CancellationTokenPosition,
            DiagnosticDescriptors.DuplicateMethodId,
            DiagnosticDescriptors.UnsupportedMember,
            DiagnosticDescriptors.ReservedMemberName,
            DiagnosticDescriptors.PriorityOutOfRange,
            DiagnosticDescriptors.SharedRegionPlacement,
        }.ToImmutableDictionary(d => d.Id);

        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.CreateRange(DescriptorsById.Values);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var known = new KnownSymbols(start.Compilation);
                if (known.IpcServiceAttribute is null)
                {
                    return; // IpcGen is not referenced: nothing can be a contract
                }

                start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, known), SymbolKind.NamedType);
            });
        }

        private static void AnalyzeType(SymbolAnalysisContext context, KnownSymbols known)
        {
            if (context.Symbol is not INamedTypeSymbol type)
            {
                return;
            }

            try
            {
                AnalyzeContainingType(context, type, known);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // See below: never take the build down.
            }

            if (type.TypeKind == TypeKind.Interface && KnownSymbols.HasAttribute(type, known.IpcServiceAttribute))
            {
                AnalyzeContract(context, type, known);
            }
        }

        /// <summary>IPCG002 is reported on the containing type's own declaration, where its code fix applies.</summary>
        private static void AnalyzeContainingType(SymbolAnalysisContext context, INamedTypeSymbol type, KnownSymbols known)
        {
            INamedTypeSymbol? contract = FirstNestedContract(type, known);
            if (contract is null)
            {
                return;
            }

            foreach (ContractProblem problem in ContractValidator.ValidateContainingType(type, contract, context.CancellationToken))
            {
                Report(context, problem);
            }
        }

        private static INamedTypeSymbol? FirstNestedContract(INamedTypeSymbol type, KnownSymbols known)
        {
            foreach (INamedTypeSymbol nested in type.GetTypeMembers())
            {
                if (nested.TypeKind == TypeKind.Interface && KnownSymbols.HasAttribute(nested, known.IpcServiceAttribute))
                {
                    return nested;
                }

                INamedTypeSymbol? deeper = FirstNestedContract(nested, known);
                if (deeper is not null)
                {
                    return deeper;
                }
            }

            return null;
        }

        private static void AnalyzeContract(SymbolAnalysisContext context, INamedTypeSymbol type, KnownSymbols known)
        {

            ImmutableArray<ContractProblem> problems;
            try
            {
                List<ContractMethod> methods = ContractShape.CollectMethods(type, known, context.CancellationToken);
                problems = ContractValidator.Validate(type, known, methods, context.CancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // An analyzer must never take the build down; a contract it cannot read is one the generator skips too.
                return;
            }

            foreach (ContractProblem problem in problems)
            {
                // Containing types report IPCG002 themselves (AnalyzeContainingType).
                if (problem.RuleId != DiagnosticIds.ContainingTypeMustBePartial)
                {
                    Report(context, problem);
                }
            }
        }

        private static void Report(SymbolAnalysisContext context, ContractProblem problem)
        {
            if (problem.RuleId is not null && DescriptorsById.TryGetValue(problem.RuleId, out DiagnosticDescriptor? descriptor))
            {
                context.ReportDiagnostic(Diagnostic.Create(descriptor, problem.Location, ToObjects(problem.MessageArgs)));
            }
        }

        private static object[] ToObjects(ImmutableArray<string> args)
        {
            var objects = new object[args.Length];
            for (int i = 0; i < args.Length; i++)
            {
                objects[i] = args[i];
            }

            return objects;
        }
    }
}
