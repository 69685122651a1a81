using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;

namespace IpcGen.Analyzers.SharedMemory
{
    /// <summary>
    /// The runtime's layout of an unmanaged struct on 64-bit Linux, computed from its declaration the way the
    /// CLR lays out sequential and explicit structs: each field at the next multiple of min(its alignment,
    /// Pack), the size rounded up to min(the largest alignment, Pack), at least the declared Size. Null when
    /// it cannot be known (auto layout, a type from metadata whose private fields a reference assembly hides).
    /// </summary>
    internal static class StructLayoutModel
    {
        private const int MaxDepth = 16;

        internal readonly struct TypeLayout
        {
            public TypeLayout(int size, int alignment)
            {
                Size = size;
                Alignment = alignment;
            }

            public int Size { get; }

            public int Alignment { get; }
        }

        /// <summary>Size and alignment of <paramref name="type"/>, or null when unknown.</summary>
        public static TypeLayout? Of(ITypeSymbol type, SharedMemorySymbols symbols) => Of(type, symbols, 0);

        /// <summary>The offset of <paramref name="field"/> inside its containing struct, or null when unknown.</summary>
        public static int? OffsetOf(IFieldSymbol field, SharedMemorySymbols symbols)
        {
            INamedTypeSymbol type = field.ContainingType;
            Dictionary<IFieldSymbol, int>? offsets = FieldOffsets(type, symbols, 0, out _);
            return offsets is not null && offsets.TryGetValue(field, out int offset) ? offset : null;
        }

        public static IEnumerable<IFieldSymbol> InstanceFields(INamedTypeSymbol type)
            => type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst);

        public static LayoutKind KindOf(INamedTypeSymbol type, SharedMemorySymbols symbols, out int pack, out int declaredSize)
        {
            pack = 0;
            declaredSize = 0;
            AttributeData? layout = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.StructLayoutAttribute));
            if (layout is null)
            {
                return LayoutKind.Sequential; // what C# gives a struct that does not say

            }

            foreach (KeyValuePair<string, TypedConstant> named in layout.NamedArguments)
            {
                if (named.Key == "Pack" && named.Value.Value is int p)
                {
                    pack = p;
                }
                else if (named.Key == "Size" && named.Value.Value is int s)
                {
                    declaredSize = s;
                }
            }

            if (layout.ConstructorArguments.Length == 1 && layout.ConstructorArguments[0].Value is { } kind)
            {
                return (LayoutKind)Convert.ToInt32(kind, System.Globalization.CultureInfo.InvariantCulture);
            }

            return LayoutKind.Sequential;
        }

        private static TypeLayout? Of(ITypeSymbol type, SharedMemorySymbols symbols, int depth)
        {
            switch (type.SpecialType)
            {
                case SpecialType.System_Boolean:
                case SpecialType.System_Byte:
                case SpecialType.System_SByte:
                    return new TypeLayout(1, 1);
                case SpecialType.System_Char:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                    return new TypeLayout(2, 2);
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_Single:
                    return new TypeLayout(4, 4);
                case SpecialType.System_Int64:
                case SpecialType.System_UInt64:
                case SpecialType.System_Double:
                case SpecialType.System_IntPtr:
                case SpecialType.System_UIntPtr:
                case SpecialType.System_DateTime:
                    return new TypeLayout(8, 8);
                case SpecialType.System_Decimal:
                    return new TypeLayout(16, 8);
            }

            if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer || type.IsReferenceType)
            {
                return new TypeLayout(8, 8);
            }

            if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
            {
                return Of(underlying, symbols, depth);
            }

            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct } named || depth > MaxDepth)
            {
                return null;
            }

            string? wellKnown = named.ContainingNamespace?.ToDisplayString() + "." + named.MetadataName;
            switch (wellKnown)
            {
                case "System.Guid":
                    return new TypeLayout(16, 4);
                case "System.TimeSpan":
                    return new TypeLayout(8, 8);
                case "System.DateTimeOffset":
                    return new TypeLayout(16, 8);
                case "IpcGen.SharedMutex":
                    return new TypeLayout(4, 4);
            }

            if (!named.Locations.Any(l => l.IsInSource))
            {
                return null; // a reference assembly may have replaced its private fields with a placeholder
            }

            return FieldOffsets(named, symbols, depth, out TypeLayout layout) is null ? null : layout;
        }

        private static Dictionary<IFieldSymbol, int>? FieldOffsets(INamedTypeSymbol type, SharedMemorySymbols symbols, int depth, out TypeLayout layout)
        {
            layout = default;
            LayoutKind kind = KindOf(type, symbols, out int pack, out int declaredSize);
            if (kind == LayoutKind.Auto)
            {
                return null;
            }

            int maxAlignment = pack is > 0 and < 8 ? pack : 8;
            var offsets = new Dictionary<IFieldSymbol, int>(SymbolEqualityComparer.Default);
            int end = 0;
            int largest = 1;
            foreach (IFieldSymbol field in InstanceFields(type))
            {
                TypeLayout? fieldLayout = FieldLayout(field, symbols, depth + 1);
                if (fieldLayout is not { } f)
                {
                    return null;
                }

                int alignment = Math.Min(f.Alignment, maxAlignment);
                largest = Math.Max(largest, alignment);
                int offset;
                if (kind == LayoutKind.Explicit)
                {
                    AttributeData? fieldOffset = field.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.FieldOffsetAttribute));
                    if (fieldOffset is null || fieldOffset.ConstructorArguments.Length != 1 || fieldOffset.ConstructorArguments[0].Value is not int explicitOffset)
                    {
                        return null;
                    }

                    offset = explicitOffset;
                }
                else
                {
                    offset = AlignUp(end, alignment);
                }

                offsets[field] = offset;
                end = Math.Max(end, offset + f.Size);
            }

            int size = Math.Max(AlignUp(Math.Max(end, 1), largest), declaredSize);
            layout = new TypeLayout(size, largest);
            return offsets;
        }

        private static TypeLayout? FieldLayout(IFieldSymbol field, SharedMemorySymbols symbols, int depth)
        {
            if (field.IsFixedSizeBuffer && field.Type is IPointerTypeSymbol pointer)
            {
                TypeLayout? element = Of(pointer.PointedAtType, symbols, depth);
                return element is { } e ? new TypeLayout(e.Size * field.FixedSize, e.Alignment) : null;
            }

            return Of(field.Type, symbols, depth);
        }

        private static int AlignUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
    }
}
