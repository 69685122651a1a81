using Microsoft.CodeAnalysis;

namespace IpcGen.Generators.Validation
{
    /// <summary>The types validation and parsing compare against, looked up once per compilation.</summary>
    internal sealed class KnownSymbols
    {
        public const string IpcServiceAttributeName = "IpcGen.IpcServiceAttribute";
        public const string IpcMethodAttributeName = "IpcGen.IpcMethodAttribute";
        public const string OneWayAttributeName = "IpcGen.OneWayAttribute";
        public const string IpcPriorityAttributeName = "IpcGen.IpcPriorityAttribute";

        /// <summary>The highest value <c>[IpcPriority]</c> accepts (IpcPriorityAttribute.MaxPriority).</summary>
        public const int MaxPriority = 31;

        public KnownSymbols(Compilation compilation)
        {
            IpcServiceAttribute = compilation.GetTypeByMetadataName(IpcServiceAttributeName);
            IpcMethodAttribute = compilation.GetTypeByMetadataName(IpcMethodAttributeName);
            OneWayAttribute = compilation.GetTypeByMetadataName(OneWayAttributeName);
            IpcPriorityAttribute = compilation.GetTypeByMetadataName(IpcPriorityAttributeName);
            SharedRegionOfT = compilation.GetTypeByMetadataName("IpcGen.SharedRegion`1");
            Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
            TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
            ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
            ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
            CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
            AsyncMethodBuilderAttribute = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.AsyncMethodBuilderAttribute");
            AsyncEnumerableOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.IAsyncEnumerable`1");
            AsyncEnumeratorOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.IAsyncEnumerator`1");
            Disposable = compilation.GetTypeByMetadataName("System.IDisposable");
            AsyncDisposable = compilation.GetTypeByMetadataName("System.IAsyncDisposable");
        }

        public INamedTypeSymbol? IpcServiceAttribute { get; }

        public INamedTypeSymbol? IpcMethodAttribute { get; }

        public INamedTypeSymbol? OneWayAttribute { get; }

        public INamedTypeSymbol? IpcPriorityAttribute { get; }

        public INamedTypeSymbol? SharedRegionOfT { get; }

        /// <summary>The element type when <paramref name="type"/> is <c>SharedRegion&lt;T&gt;</c>; otherwise null.</summary>
        public ITypeSymbol? RegionElement(ITypeSymbol type) =>
            type is INamedTypeSymbol named && Is(named.OriginalDefinition, SharedRegionOfT) ? named.TypeArguments[0] : null;

        /// <summary>The value of the method's <c>[IpcPriority(n)]</c>, or 0 without one; null when it is not a constant int.</summary>
        public int? PriorityOf(IMethodSymbol method)
        {
            AttributeData? data = FindAttribute(method, IpcPriorityAttribute);
            if (data is null)
            {
                return 0;
            }

            return data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Value is int value ? value : null;
        }

        public INamedTypeSymbol? Task { get; }

        public INamedTypeSymbol? TaskOfT { get; }

        public INamedTypeSymbol? ValueTask { get; }

        public INamedTypeSymbol? ValueTaskOfT { get; }

        public INamedTypeSymbol? CancellationToken { get; }

        public INamedTypeSymbol? AsyncMethodBuilderAttribute { get; }

        public INamedTypeSymbol? AsyncEnumerableOfT { get; }

        public INamedTypeSymbol? AsyncEnumeratorOfT { get; }

        public INamedTypeSymbol? Disposable { get; }

        public INamedTypeSymbol? AsyncDisposable { get; }

        public bool IsCancellationToken(ITypeSymbol type) => SymbolEqualityComparer.Default.Equals(type, CancellationToken);

        public static bool Is(ISymbol? symbol, INamedTypeSymbol? known) =>
            known is not null && SymbolEqualityComparer.Default.Equals(symbol, known);

        public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) => FindAttribute(symbol, attribute) is not null;

        public static AttributeData? FindAttribute(ISymbol symbol, INamedTypeSymbol? attribute)
        {
            if (attribute is null)
            {
                return null;
            }

            foreach (AttributeData data in symbol.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
                {
                    return data;
                }
            }

            return null;
        }
    }
}
