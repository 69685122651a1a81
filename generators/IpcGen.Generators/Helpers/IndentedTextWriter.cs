using System;
using System.Text;

namespace IpcGen.Generators.Helpers
{
    /// <summary>
    /// Builds C# text line by line with four-space indentation. Deliberately small: the emitter writes
    /// text, not syntax trees, so the output reads like hand-written code and is cheap to produce.
    /// </summary>
    internal sealed class IndentedTextWriter
    {
        private const string IndentUnit = "    ";
        private readonly StringBuilder _builder = new StringBuilder();
        private int _depth;

        public void WriteLine()
        {
            _builder.Append('\n');
        }

        public void WriteLine(string line)
        {
            if (line.Length == 0)
            {
                WriteLine();
                return;
            }

            for (int i = 0; i < _depth; i++)
            {
                _builder.Append(IndentUnit);
            }

            _builder.Append(line).Append('\n');
        }

        /// <summary>Writes a block of lines (for example a raw string literal), each at the current indentation.</summary>
        public void WriteLines(string text)
        {
            foreach (string line in text.Replace("\r\n", "\n").Split('\n'))
            {
                WriteLine(line);
            }
        }

        public void Indent() => _depth++;

        public void Unindent()
        {
            if (_depth == 0)
            {
                throw new InvalidOperationException("Unbalanced indentation.");
            }

            _depth--;
        }

        /// <summary>Writes <c>{</c>, indents, and returns a scope whose disposal writes the closing brace.</summary>
        public Block OpenBlock(string? closing = null)
        {
            WriteLine("{");
            Indent();
            return new Block(this, closing ?? "}");
        }

        public override string ToString() => _builder.ToString();

        /// <summary>Closes a block opened by <see cref="OpenBlock"/>; a struct so that opening a block allocates nothing.</summary>
        internal readonly struct Block : IDisposable
        {
            private readonly IndentedTextWriter _writer;
            private readonly string _closing;

            public Block(IndentedTextWriter writer, string closing)
            {
                _writer = writer;
                _closing = closing;
            }

            public void Dispose()
            {
                _writer.Unindent();
                _writer.WriteLine(_closing);
            }
        }
    }
}
