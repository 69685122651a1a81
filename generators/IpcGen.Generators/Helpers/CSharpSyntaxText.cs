using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcGen.Generators.Helpers
{
    /// <summary>Spells identifiers and constants as C# source.</summary>
    internal static class CSharpSyntaxText
    {
        /// <summary>Prefixes <c>@</c> when the name is a reserved keyword (<c>@class</c>, <c>@event</c>).</summary>
        public static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>The parameter's default value as a C# expression, or <see langword="null"/> when it has none.</summary>
        public static string? DefaultValue(IParameterSymbol parameter, string typeName)
        {
            if (!parameter.HasExplicitDefaultValue)
            {
                return null;
            }

            object? value = parameter.ExplicitDefaultValue;
            ITypeSymbol type = parameter.Type;
            if (value is null)
            {
                if (type.IsValueType)
                {
                    return type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T ? "null" : "default";
                }

                // A contract compiled without nullable annotations (or one that already ignores a warning) may
                // default a non-annotated reference to null; the generated code is in an enabled context.
                return type.NullableAnnotation == NullableAnnotation.Annotated ? "null" : "null!";
            }

            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                type = nullable.TypeArguments[0];
                typeName = type.ToDisplayString(Validation.TypeNames.Code);
            }

            if (type.TypeKind == TypeKind.Enum)
            {
                string number = Constant(value);
                return $"({typeName})" + (number.StartsWith("-", StringComparison.Ordinal) ? $"({number})" : number);
            }

            return Constant(value);
        }

        private static string Constant(object value)
        {
            switch (value)
            {
                case bool b:
                    return b ? "true" : "false";
                case string s:
                    return SymbolDisplay.FormatLiteral(s, quote: true);
                case char c:
                    return SymbolDisplay.FormatLiteral(c, quote: true);
                case float f:
                    return float.IsNaN(f) ? "float.NaN"
                        : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
                        : float.IsNegativeInfinity(f) ? "float.NegativeInfinity"
                        : f.ToString("R", CultureInfo.InvariantCulture) + "F";
                case double d:
                    return double.IsNaN(d) ? "double.NaN"
                        : double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
                        : double.IsNegativeInfinity(d) ? "double.NegativeInfinity"
                        : d.ToString("R", CultureInfo.InvariantCulture) + "D";
                case decimal m:
                    return m.ToString(CultureInfo.InvariantCulture) + "M";
                case long l:
                    return l.ToString(CultureInfo.InvariantCulture) + "L";
                case ulong ul:
                    return ul.ToString(CultureInfo.InvariantCulture) + "UL";
                case uint ui:
                    return ui.ToString(CultureInfo.InvariantCulture) + "U";
                case IFormattable formattable:
                    return formattable.ToString(null, CultureInfo.InvariantCulture);
                default:
                    return value.ToString() ?? "default";
            }
        }
    }
}
