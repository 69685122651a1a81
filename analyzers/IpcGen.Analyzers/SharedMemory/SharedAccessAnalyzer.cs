using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace IpcGen.Analyzers.SharedMemory
{
    /// <summary>
    /// Checks every write to shared memory (see <see cref="SharedAccess"/> for what that is): plain writes
    /// outside the lock (IPCG102), read-modify-writes outside the lock (IPCG103), writes wider than 8 bytes
    /// outside the lock (IPCG105); atomic operations on misaligned 8-byte fields (IPCG104); and fields of one
    /// shared struct written atomically by different code within one 128-byte block (IPCG107).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class SharedAccessAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: the region expression to lock, when re-evaluating it is side-effect free.</summary>
        public const string RegionProperty = "Region";

        /// <summary>Diagnostic property (IPCG102): "true" when the write can become <c>Volatile.Write(ref target, value)</c>.</summary>
        public const string VolatileWriteProperty = "VolatileWrite";

        /// <summary>Diagnostic property (IPCG103): the <c>Interlocked</c> method that does the update atomically.</summary>
        public const string InterlockedMethodProperty = "InterlockedMethod";

        private const int BlockSize = 128;

        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            DiagnosticDescriptors.UnsynchronizedSharedWrite,
            DiagnosticDescriptors.NonAtomicSharedUpdate,
            DiagnosticDescriptors.MisalignedAtomicField,
            DiagnosticDescriptors.TornSharedWrite,
            DiagnosticDescriptors.SharedCountersFalseSharing);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var symbols = new SharedMemorySymbols(start.Compilation);
                if (!symbols.IsAvailable)
                {
                    return;
                }

                var atomicWrites = new ConcurrentBag<AtomicWrite>();
                start.RegisterOperationAction(c => Guard(() => AnalyzeAssignment(c, symbols)), OperationKind.SimpleAssignment);
                start.RegisterOperationAction(
                    c => Guard(() => AnalyzeUpdate(c, symbols)),
                    OperationKind.CompoundAssignment,
                    OperationKind.Increment,
                    OperationKind.Decrement);
                start.RegisterOperationAction(c => Guard(() => AnalyzeAtomicCall(c, symbols, atomicWrites)), OperationKind.Invocation);
                start.RegisterCompilationEndAction(c => Guard(() => ReportFalseSharing(c, atomicWrites)));
            });
        }

        /// <summary>An analyzer must never take the build down: code it cannot read gets no diagnostic.</summary>
        private static void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
            }
        }

        private static void AnalyzeAssignment(OperationAnalysisContext context, SharedMemorySymbols symbols)
        {
            var assignment = (ISimpleAssignmentOperation)context.Operation;
            if (assignment.IsRef || SharedAccess.Locate(assignment.Target, symbols) is not { } location
                || SharedAccess.IsUnderLock(assignment, location, symbols, context.CancellationToken))
            {
                return;
            }

            ITypeSymbol? type = assignment.Target.Type;
            StructLayoutModel.TypeLayout? layout = type is null ? null : StructLayoutModel.Of(type, symbols);
            ImmutableDictionary<string, string?> properties = RegionProperties(location);
            string target = assignment.Target.Syntax.ToString();
            if (layout is { Size: > 8 } wide)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.TornSharedWrite,
                    assignment.Syntax.GetLocation(),
                    properties,
                    target,
                    wide.Size,
                    type!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
                return;
            }

            if (assignment.Parent is IExpressionStatementOperation && IsVolatileWritable(type))
            {
                properties = properties.Add(VolatileWriteProperty, "true");
            }

            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsynchronizedSharedWrite, assignment.Syntax.GetLocation(), properties, target));
        }

        private static void AnalyzeUpdate(OperationAnalysisContext context, SharedMemorySymbols symbols)
        {
            IOperation target;
            string? interlocked;
            switch (context.Operation)
            {
                case ICompoundAssignmentOperation compound:
                    target = compound.Target;
                    interlocked = compound.OperatorMethod is null ? InterlockedFor(compound.OperatorKind, target.Type) : null;
                    break;
                case IIncrementOrDecrementOperation step:
                    target = step.Target;
                    interlocked = step.OperatorMethod is null && IsInterlockedInteger(target.Type)
                        ? (step.Kind == OperationKind.Increment ? "Increment" : "Decrement")
                        : null;
                    break;
                default:
                    return;
            }

            if (SharedAccess.Locate(target, symbols) is not { } location
                || SharedAccess.IsUnderLock(context.Operation, location, symbols, context.CancellationToken))
            {
                return;
            }

            ImmutableDictionary<string, string?> properties = RegionProperties(location);
            if (interlocked is not null && context.Operation.Parent is IExpressionStatementOperation)
            {
                properties = properties.Add(InterlockedMethodProperty, interlocked);
            }

            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.NonAtomicSharedUpdate,
                context.Operation.Syntax.GetLocation(),
                properties,
                context.Operation.Syntax.ToString(),
                target.Syntax.ToString()));
        }

        private static void AnalyzeAtomicCall(OperationAnalysisContext context, SharedMemorySymbols symbols, ConcurrentBag<AtomicWrite> atomicWrites)
        {
            var invocation = (IInvocationOperation)context.Operation;
            INamedTypeSymbol containing = invocation.TargetMethod.ContainingType;
            bool isInterlocked = SymbolEqualityComparer.Default.Equals(containing, symbols.Interlocked);
            bool isVolatile = SymbolEqualityComparer.Default.Equals(containing, symbols.Volatile);
            if (!isInterlocked && !isVolatile)
            {
                return;
            }

            string name = invocation.TargetMethod.Name;
            bool writes = isInterlocked ? name != "Read" && name != "MemoryBarrier" && name != "MemoryBarrierProcessWide" : name == "Write";
            foreach (IArgumentOperation argument in invocation.Arguments)
            {
                if (argument.Parameter is not { RefKind: not RefKind.None and not RefKind.Out } || argument.Value is not IFieldReferenceOperation leaf)
                {
                    continue;
                }

                FieldPath? path = FieldPath.Of(leaf, symbols);
                if (path is not { } p)
                {
                    continue;
                }

                bool shared = symbols.IsSharedStruct(p.Root) || SharedAccess.Locate(leaf, symbols) is not null;
                if (!shared)
                {
                    continue;
                }

                if (leaf.Type is { } type && StructLayoutModel.Of(type, symbols) is { Size: 8 })
                {
                    string? why = p.Offset % 8 != 0
                        ? "its struct's Pack or explicit offsets put it there"
                        : p.ViaIndexer && p.RootSize % 8 != 0
                            ? $"every other element of the region is misaligned too, because '{p.Root.Name}' is {p.RootSize} bytes"
                            : null;
                    if (why is not null)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(
                            DiagnosticDescriptors.MisalignedAtomicField,
                            argument.Syntax.GetLocation(),
                            leaf.Field.Name,
                            p.Offset,
                            p.Root.Name,
                            why));
                    }
                }

                if (writes && symbols.IsSharedStruct(p.Root) && context.ContainingSymbol is { } writer)
                {
                    atomicWrites.Add(new AtomicWrite(p.Root, p.TopField, p.Offset, writer));
                }
            }
        }

        /// <summary>
        /// The heuristic: two fields of one shared struct, each the target of Interlocked or Volatile.Write, in
        /// the same 128-byte block (the pair of cache lines the adjacent-line prefetcher moves together; regions
        /// start on a 128-byte boundary), where no single method writes both — so two parties own them.
        /// </summary>
        private static void ReportFalseSharing(CompilationAnalysisContext context, ConcurrentBag<AtomicWrite> atomicWrites)
        {
            foreach (IGrouping<ISymbol, AtomicWrite> byStruct in atomicWrites.GroupBy<AtomicWrite, ISymbol>(w => w.Root, SymbolEqualityComparer.Default))
            {
                var fields = byStruct
                    .GroupBy<AtomicWrite, ISymbol>(w => w.TopField, SymbolEqualityComparer.Default)
                    .Select(g => new
                    {
                        Field = (IFieldSymbol)g.Key!,
                        Offset = g.Min(w => w.Offset),
                        Writers = new HashSet<ISymbol>(g.Select(w => w.Writer), SymbolEqualityComparer.Default),
                    })
                    .OrderBy(f => f.Offset)
                    .ToList();
                for (int later = 1; later < fields.Count; later++)
                {
                    for (int earlier = 0; earlier < later; earlier++)
                    {
                        var a = fields[earlier];
                        var b = fields[later];
                        if (a.Offset / BlockSize != b.Offset / BlockSize || a.Writers.Overlaps(b.Writers))
                        {
                            continue;
                        }

                        Location? location = b.Field.Locations.FirstOrDefault(l => l.IsInSource);
                        if (location is not null)
                        {
                            context.ReportDiagnostic(Diagnostic.Create(
                                DiagnosticDescriptors.SharedCountersFalseSharing,
                                location,
                                b.Field.Name,
                                b.Offset,
                                a.Field.Name,
                                a.Offset,
                                byStruct.Key.Name,
                                FirstName(b.Writers),
                                FirstName(a.Writers)));
                        }

                        break;
                    }
                }
            }
        }

        private static string FirstName(IEnumerable<ISymbol> symbols)
            => symbols.Select(s => s.Name).OrderBy(n => n, StringComparer.Ordinal).First();

        private static ImmutableDictionary<string, string?> RegionProperties(SharedLocation location)
            => location.RegionText is { } text
                ? ImmutableDictionary<string, string?>.Empty.Add(RegionProperty, text)
                : ImmutableDictionary<string, string?>.Empty;

        /// <summary>The types Volatile.Write has an overload for (enums and other structs have none).</summary>
        private static bool IsVolatileWritable(ITypeSymbol? type) => type?.SpecialType is
            SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte
            or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double
            or SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        private static bool IsInterlockedInteger(ITypeSymbol? type) => type?.SpecialType is
            SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64;

        private static string? InterlockedFor(BinaryOperatorKind kind, ITypeSymbol? type)
        {
            if (!IsInterlockedInteger(type))
            {
                return null;
            }

            bool signed = type!.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64;
            return kind switch
            {
                BinaryOperatorKind.Add => "Add",
                BinaryOperatorKind.Subtract when signed => "Add",
                BinaryOperatorKind.Or => "Or",
                BinaryOperatorKind.And => "And",
                _ => null,
            };
        }

        private sealed class AtomicWrite
        {
            public AtomicWrite(INamedTypeSymbol root, IFieldSymbol topField, int offset, ISymbol writer)
            {
                Root = root;
                TopField = topField;
                Offset = offset;
                Writer = writer;
            }

            public INamedTypeSymbol Root { get; }

            public IFieldSymbol TopField { get; }

            public int Offset { get; }

            public ISymbol Writer { get; }
        }

        /// <summary>A chain of struct fields <c>x.A.B.C</c>: its outermost struct and C's offset inside it.</summary>
        private readonly struct FieldPath
        {
            private FieldPath(INamedTypeSymbol root, int rootSize, IFieldSymbol topField, int offset, bool viaIndexer)
            {
                Root = root;
                RootSize = rootSize;
                TopField = topField;
                Offset = offset;
                ViaIndexer = viaIndexer;
            }

            public INamedTypeSymbol Root { get; }

            public int RootSize { get; }

            public IFieldSymbol TopField { get; }

            public int Offset { get; }

            public bool ViaIndexer { get; }

            public static FieldPath? Of(IFieldReferenceOperation leaf, SharedMemorySymbols symbols)
            {
                int offset = 0;
                IFieldReferenceOperation top = leaf;
                for (IFieldReferenceOperation? current = leaf; current is not null; current = current.Instance as IFieldReferenceOperation)
                {
                    if (current.Field.IsStatic || !current.Field.ContainingType.IsValueType || StructLayoutModel.OffsetOf(current.Field, symbols) is not int fieldOffset)
                    {
                        return null;
                    }

                    offset += fieldOffset;
                    top = current;
                    if (current.Instance is not IFieldReferenceOperation { Field.ContainingType.IsValueType: true })
                    {
                        break;
                    }
                }

                INamedTypeSymbol root = top.Field.ContainingType;
                int rootSize = StructLayoutModel.Of(root, symbols)?.Size ?? 0;
                bool viaIndexer = top.Instance is IPropertyReferenceOperation { Property.IsIndexer: true } property && symbols.IsSharedRegion(property.Property.ContainingType);
                return new FieldPath(root, rootSize, top.Field, offset, viaIndexer);
            }
        }
    }
}
