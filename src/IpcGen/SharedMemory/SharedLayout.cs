using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace IpcGen;

/// <summary>
/// The layout hash a region header carries: FNV-1a (64-bit) over a canonical description of <c>T</c> — its
/// size, layout kind, pack and declared size, and for every instance field in declaration order its name,
/// its explicit offset (if any) and its type, nested structs described recursively and enums by their
/// underlying type. Two processes compiled from the same struct agree; a field added, removed, reordered,
/// renamed or retyped, or a change of pack or offsets, makes them disagree.
/// </summary>
/// <remarks>
/// Names are part of it on purpose: swapping two fields of one type keeps the bytes in place but changes
/// what they mean. The type's own name is not, so the two sides may declare it in different assemblies.
/// Reflection over fields only, on a type annotated to keep them; computed once per T.
/// </remarks>
internal static class SharedLayout<[DynamicallyAccessedMembers(SharedLayout.Fields)] T>
    where T : unmanaged
{
    public static readonly ulong Hash = SharedLayout.Compute(typeof(T), Unsafe.SizeOf<T>());

    public static readonly string Description = SharedLayout.Describe(typeof(T), Unsafe.SizeOf<T>());
}

internal static class SharedLayout
{
    internal const DynamicallyAccessedMemberTypes Fields = DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields;

    public static ulong Compute([DynamicallyAccessedMembers(Fields)] Type type, int size)
    {
        string description = Describe(type, size);
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(description))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }

    public static string Describe([DynamicallyAccessedMembers(Fields)] Type type, int size)
    {
        var builder = new StringBuilder();
        builder.Append("size=").Append(size).Append(';');
        DescribeStruct(builder, type, depth: 0);
        return builder.ToString();
    }

    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Instance fields of value types are never trimmed: they make up the struct's layout.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Instance fields of value types are never trimmed: they make up the struct's layout.")]
    private static void DescribeStruct(StringBuilder builder, [DynamicallyAccessedMembers(Fields)] Type type, int depth)
    {
        StructLayoutAttribute? layout = type.StructLayoutAttribute;
        builder.Append('{')
            .Append(layout?.Value.ToString() ?? "Sequential").Append(',')
            .Append("pack=").Append(layout?.Pack ?? 0).Append(',')
            .Append("size=").Append(layout?.Size ?? 0);
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            builder.Append(';').Append(field.Name);
            if (field.GetCustomAttribute<FieldOffsetAttribute>() is { } offset)
            {
                builder.Append('@').Append(offset.Value);
            }
            builder.Append(':');
            DescribeType(builder, field.FieldType, depth);
        }
        builder.Append('}');
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Instance fields of value types are never trimmed: they make up the struct's layout.")]
    private static void DescribeType(StringBuilder builder, Type type, int depth)
    {
        if (type.IsEnum)
        {
            type = Enum.GetUnderlyingType(type);
        }
        if (type.IsPrimitive || type.IsPointer || type.IsFunctionPointer || !type.IsValueType || depth > 16)
        {
            builder.Append(type.FullName ?? type.Name);
            return;
        }
        DescribeStruct(builder, type, depth + 1);
    }
}
