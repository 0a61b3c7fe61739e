using System.Globalization;

namespace Tollgate.Storage;

/// <summary>Builds OData filter expressions with values escaped, so no caller value can change a query's meaning.</summary>
public static class TableFilter
{
    /// <summary>A string literal: single quotes doubled, the whole quoted.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Compare(string property, string op, string value)
    {
        ValidateProperty(property);
        return $"{property} {op} {Literal(value)}";
    }

    public static string Equal(string property, string value) => Compare(property, "eq", value);

    public static string Compare(string property, string op, DateTimeOffset value)
    {
        ValidateProperty(property);
        return $"{property} {op} datetime'{value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)}'";
    }

    public static string Compare(string property, string op, long value)
    {
        ValidateProperty(property);
        return $"{property} {op} {value.ToString(CultureInfo.InvariantCulture)}L";
    }

    public static string And(params string?[] clauses) =>
        string.Join(" and ", clauses.Where(c => !string.IsNullOrEmpty(c)).Select(c => "(" + c + ")"));

    private static void ValidateProperty(string property)
    {
        if (property.Length == 0 || !property.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"'{property}' is not a valid property name.", nameof(property));
        }
    }
}
