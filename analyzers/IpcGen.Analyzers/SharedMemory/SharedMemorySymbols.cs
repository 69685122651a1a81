using Microsoft.CodeAnalysis;

namespace IpcGen.Analyzers.SharedMemory
{
    /// <summary>The types the shared-memory rules look for, resolved once per compilation.</summary>
    internal sealed class SharedMemorySymbols
    {
        public SharedMemorySymbols(Compilation compilation)
        {
            SharedStructAttribute = compilation.GetTypeByMetadataName("IpcGen.SharedStructAttribute");
            SharedRegion = compilation.GetTypeByMetadataName("IpcGen.SharedRegion`1");
            SharedMutex = compilation.GetTypeByMetadataName("IpcGen.SharedMutex");
            SharedMutexGuard = compilation.GetTypeByMetadataName("IpcGen.SharedMutexGuard");
            Interlocked = compilation.GetTypeByMetadataName("System.Threading.Interlocked");
            Volatile = compilation.GetTypeByMetadataName("System.Threading.Volatile");
            StructLayoutAttribute = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.StructLayoutAttribute");
            FieldOffsetAttribute = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.FieldOffsetAttribute");
        }

        public INamedTypeSymbol? SharedStructAttribute { get; }

        public INamedTypeSymbol? SharedRegion { get; }

        public INamedTypeSymbol? SharedMutex { get; }

        public INamedTypeSymbol? SharedMutexGuard { get; }

        public INamedTypeSymbol? Interlocked { get; }

        public INamedTypeSymbol? Volatile { get; }

        public INamedTypeSymbol? StructLayoutAttribute { get; }

        public INamedTypeSymbol? FieldOffsetAttribute { get; }

        /// <summary>Whether IpcGen's shared-memory API is referenced at all; if not, nothing can be shared.</summary>
        public bool IsAvailable => SharedStructAttribute is not null && SharedRegion is not null && SharedMutexGuard is not null;

        public bool IsSharedStruct(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct } named || SharedStructAttribute is null)
            {
                return false;
            }

            foreach (AttributeData attribute in named.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, SharedStructAttribute))
                {
                    return true;
                }
            }

            return false;
        }

        public bool IsSharedRegion(ITypeSymbol? type)
            => type is INamedTypeSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, SharedRegion);

        public bool IsGuard(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, SharedMutexGuard);

        /// <summary><c>SharedRegion&lt;T&gt;.Lock()</c> or <c>SharedMutex.Lock()</c>: the calls that return a guard that must be released.</summary>
        public bool IsLockAcquisition(IMethodSymbol method)
            => method.Name == "Lock"
               && IsGuard(method.ReturnType)
               && (IsSharedRegion(method.ContainingType) || SymbolEqualityComparer.Default.Equals(method.ContainingType, SharedMutex));
    }
}
