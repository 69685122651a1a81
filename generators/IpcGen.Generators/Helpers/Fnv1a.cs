using System.Text;

namespace IpcGen.Generators.Helpers
{
    /// <summary>
    /// FNV-1a over the UTF-8 bytes of a string. Method ids and contract fingerprints use it because it
    /// is tiny, has no dependencies and gives the same answer on every platform and Roslyn version.
    /// </summary>
    internal static class Fnv1a
    {
        private const uint Offset32 = 2166136261;
        private const uint Prime32 = 16777619;
        private const ulong Offset64 = 14695981039346656037;
        private const ulong Prime64 = 1099511628211;

        public static uint Hash32(string text)
        {
            uint hash = Offset32;
            foreach (byte b in Encoding.UTF8.GetBytes(text))
            {
                hash ^= b;
                hash *= Prime32;
            }

            return hash;
        }

        public static ulong Hash64(string text)
        {
            ulong hash = Offset64;
            foreach (byte b in Encoding.UTF8.GetBytes(text))
            {
                hash ^= b;
                hash *= Prime64;
            }

            return hash;
        }
    }
}
