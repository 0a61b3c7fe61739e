using System.Globalization;
using System.Text;

namespace Tollgate.Billing;

/// <summary>
/// A statement as CSV (RFC 4180) that spreadsheets open as it is: a header row, one row per model, a TOTAL row; comma
/// separated, CRLF line ends, a decimal point whatever the locale, fields with commas, quotes or line breaks quoted, and
/// a text that a spreadsheet would run as a formula (<c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>) made plain text.
/// </summary>
public static class StatementCsv
{
    private const string Header = "model,requests,errors,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,cost,currency,unpriced_requests,note";

    public static string Write(Statement statement)
    {
        var csv = new StringBuilder(Header.Length * (statement.Lines.Count + 3)).Append(Header).Append("\r\n");
        foreach (var line in statement.Lines.Append(statement.Total))
        {
            csv.Append(Field(line.Model)).Append(',')
                .Append(Number(line.Requests)).Append(',')
                .Append(Number(line.Errors)).Append(',')
                .Append(Number(line.PromptTokens)).Append(',')
                .Append(Number(line.CachedTokens)).Append(',')
                .Append(Number(line.CompletionTokens)).Append(',')
                .Append(Number(line.ReasoningTokens)).Append(',')
                .Append(line.Cost.ToString("F" + statement.Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)).Append(',')
                .Append(Field(statement.Currency)).Append(',')
                .Append(Number(line.UnpricedRequests)).Append(',')
                .Append(line.Unpriced ? Field("unpriced: cost unknown and not included") : "")
                .Append("\r\n");
        }
        return csv.ToString();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
