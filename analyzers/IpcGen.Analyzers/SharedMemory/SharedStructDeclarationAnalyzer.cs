using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace IpcGen.Analyzers.SharedMemory
{
    /// <summary>
    /// Checks the declaration of every <c>[SharedStruct]</c>: no field whose value is an address (IPCG100) and a
    /// layout declared on purpose, sequential or explicit (IPCG101).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class SharedStructDeclarationAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: "true" when the struct has a [StructLayout] whose kind is Auto, "false" when it has none.</summary>
        public const string HasStructLayoutProperty = "HasStructLayout";

        private const int MaxDepth = 16;

        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(DiagnosticDescriptors.SharedStructUnsafeField, DiagnosticDescriptors.SharedStructLayout);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var symbols = new SharedMemorySymbols(start.Compilation);
                if (symbols.SharedStructAttribute is null)
                {
                    return;
                }

                start.RegisterSymbolAction(symbolContext => Analyze(symbolContext, symbols), SymbolKind.NamedType);
            });
        }

        private static void Analyze(SymbolAnalysisContext context, SharedMemorySymbols symbols)
        {
            try
            {
                if (context.Symbol is INamedTypeSymbol type && symbols.IsSharedStruct(type))
                {
                    AnalyzeLayout(context, type, symbols);
                    AnalyzeFields(context, type);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // An analyzer must never take the build down: a declaration it cannot read gets no diagnostic.
            }
        }

        private static void AnalyzeLayout(SymbolAnalysisContext context, INamedTypeSymbol type, SharedMemorySymbols symbols)
        {
            bool hasAttribute = type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.StructLayoutAttribute));
            LayoutKind kind = StructLayoutModel.KindOf(type, symbols, out _, out _);
            if (hasAttribute && kind != LayoutKind.Auto)
            {
                return;
            }

            string problem = hasAttribute ? "uses LayoutKind.Auto, which lets the runtime reorder its fields" : "does not declare its layout";
            var properties = ImmutableDictionary<string, string?>.Empty.Add(HasStructLayoutProperty, hasAttribute ? "true" : "false");
            foreach (Location location in type.Locations.Where(l => l.IsInSource))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.SharedStructLayout, location, properties, type.Name, problem));
            }
        }

        private static void AnalyzeFields(SymbolAnalysisContext context, INamedTypeSymbol type)
        {
            foreach (IFieldSymbol field in StructLayoutModel.InstanceFields(type))
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                ISymbol declared = (ISymbol?)field.AssociatedSymbol ?? field;
                if (field.IsFixedSizeBuffer || declared.IsImplicitlyDeclared)
                {
                    continue; // a fixed buffer's type is a pointer only in the symbol model; its elements are inline
                }

                if (Problem(field.Type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default), 0) is not { } problem)
                {
                    continue;
                }

                Location? location = declared.Locations.FirstOrDefault(l => l.IsInSource);
                if (location is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.SharedStructUnsafeField,
                        location,
                        declared.Name,
                        type.Name,
                        field.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                        problem));
                }
            }
        }

        /// <summary>Why a value of <paramref name="type"/> is an address, or holds one somewhere inside; null if it does not.</summary>
        private static string? Problem(ITypeSymbol type, HashSet<ITypeSymbol> visited, int depth)
        {
            switch (type)
            {
                case IPointerTypeSymbol:
                case IFunctionPointerTypeSymbol:
                    return "a pointer";
                case { SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr }:
                    return "a native-sized integer, which usually holds an address (and whose size is the process's choice)";
                case ITypeParameterSymbol:
                    return "a type parameter, which may be a reference";
                case { IsReferenceType: true }:
                    return "a reference to an object on this process's heap";
                case INamedTypeSymbol { TypeKind: TypeKind.Struct } nested when depth < MaxDepth && visited.Add(nested):
                    foreach (IFieldSymbol field in StructLayoutModel.InstanceFields(nested))
                    {
                        if (!field.IsFixedSizeBuffer && Problem(field.Type, visited, depth + 1) is not null)
                        {
                            return $"a struct whose field '{field.Name}' holds an address";
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }
    }
}
