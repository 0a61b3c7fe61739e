using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tollgate.Json;

namespace Tollgate.Storage;

/// <summary>
/// The OData multipart format of an entity group transaction: one batch holding one change set with an
/// HTTP request per action; and the reading of the response, which names the failed action's index.
/// </summary>
internal static partial class TableBatch
{
    /// <summary>Writes the request body into <paramref name="body"/>: UTF-8 straight into one buffer, entity JSON included.</summary>
    public static void Build(string endpoint, string table, IReadOnlyList<TableAction> actions, PooledBufferWriter body, out string contentType)
    {
        var batch = "batch_" + Guid.NewGuid().ToString("N");
        var changeset = "changeset_" + Guid.NewGuid().ToString("N");
        contentType = "multipart/mixed; boundary=" + batch;

        Append(body, "--"u8, batch, "\r\n"u8);
        Append(body, "Content-Type: multipart/mixed; boundary="u8, changeset, "\r\n\r\n"u8);
        using var json = new Utf8JsonWriter(body);
        for (var i = 0; i < actions.Count; i++)
        {
            var (type, entity) = (actions[i].Type, actions[i].Entity);
            Append(body, "--"u8, changeset, "\r\n"u8);
            body.Write("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"u8);
            var (method, url) = type switch
            {
                TableActionType.Insert => ("POST ", endpoint + "/" + table),
                TableActionType.UpsertReplace or TableActionType.UpdateReplace => ("PUT ", endpoint + TableStorageClient.EntityPath(table, entity.PartitionKey, entity.RowKey)),
                TableActionType.UpsertMerge or TableActionType.UpdateMerge => ("MERGE ", endpoint + TableStorageClient.EntityPath(table, entity.PartitionKey, entity.RowKey)),
                _ => ("DELETE ", endpoint + TableStorageClient.EntityPath(table, entity.PartitionKey, entity.RowKey)),
            };
            Append(body, method);
            Append(body, url);
            body.Write(" HTTP/1.1\r\nContent-ID: "u8);
            Append(body, i.ToString(CultureInfo.InvariantCulture));
            body.Write("\r\nAccept: application/json;odata=minimalmetadata\r\nDataServiceVersion: 3.0\r\n"u8);
            if (type is TableActionType.UpdateReplace or TableActionType.UpdateMerge or TableActionType.Delete)
            {
                Append(body, "If-Match: "u8, entity.ETag ?? "*", "\r\n"u8);
            }
            if (type == TableActionType.Delete)
            {
                body.Write("\r\n"u8);
                continue;
            }
            if (type == TableActionType.Insert)
            {
                body.Write("Prefer: return-no-content\r\n"u8);
            }
            body.Write("Content-Type: application/json\r\n\r\n"u8);
            json.Reset(body);
            TableEntityJson.Write(json, entity);
            json.Flush();
            body.Write("\r\n"u8);
        }
        Append(body, "--"u8, changeset, "--\r\n"u8);
        Append(body, "--"u8, batch, "--\r\n"u8);
    }

    private static void Append(PooledBufferWriter body, ReadOnlySpan<byte> before, string text, ReadOnlySpan<byte> after)
    {
        body.Write(before);
        Append(body, text);
        body.Write(after);
    }

    private static void Append(PooledBufferWriter body, string text)
    {
        var span = body.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        body.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    /// <summary>The failure a batch response reports, or null when every action succeeded.</summary>
    public static TableStorageException? FindFailure(string response)
    {
        foreach (Match status in StatusLine().Matches(response))
        {
            var code = int.Parse(status.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            if (code < 300)
            {
                continue;
            }
            var rest = response[(status.Index + status.Length)..];
            var bodyStart = rest.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            string? errorCode = null;
            string? message = null;
            int? index = null;
            if (bodyStart >= 0)
            {
                var json = rest[(bodyStart + 4)..];
                var start = json.IndexOf('{', StringComparison.Ordinal);
                if (start >= 0)
                {
                    try
                    {
                        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json[start..]), new JsonReaderOptions { AllowMultipleValues = true });
                        using var document = JsonDocument.ParseValue(ref reader);
                        if (document.RootElement.TryGetProperty("odata.error", out var error))
                        {
                            errorCode = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                            message = error.TryGetProperty("message", out var m) && m.TryGetProperty("value", out var v) ? v.GetString() : null;
                        }
                    }
                    catch (JsonException)
                    {
                    }
                }
            }
            var indexMatch = message is null ? Match.Empty : IndexPrefix().Match(message);
            if (indexMatch.Success)
            {
                index = int.Parse(indexMatch.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            }
            else if (ContentId().Match(bodyStart >= 0 ? rest[..bodyStart] : rest) is { Success: true } contentId)
            {
                index = int.Parse(contentId.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            }
            var firstLine = message?.Split('\n')[0];
            return new TableStorageException(code, errorCode, $"Table transaction failed at action {index?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {code} {errorCode} {firstLine}", index);
        }
        return null;
    }

    [GeneratedRegex(@"HTTP/1\.1 (\d{3})")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^(\d+):")]
    private static partial Regex IndexPrefix();

    [GeneratedRegex(@"Content-ID: (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentId();
}
