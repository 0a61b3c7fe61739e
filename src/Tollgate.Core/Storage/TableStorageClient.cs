using System.Buffers;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

using Tollgate.Json;

namespace Tollgate.Storage;

/// <summary>
/// Table Storage over Azure.Core's <see cref="HttpPipeline"/> (retries with exponential backoff on 408,
/// 429, 5xx and network failures), authorised by Shared Key or by a <see cref="TokenCredential"/>.
/// </summary>
public sealed class TableStorageClient : ITableStore
{
    private const string ApiVersion = "2019-02-02";
    private const string JsonType = "application/json";
    private const string AcceptMinimalMetadata = "application/json;odata=minimalmetadata";
    private static readonly RequestMethod Merge = new("MERGE");

    private readonly HttpPipeline _pipeline;
    private readonly string _endpoint;

    public TableStorageClient(Uri tableEndpoint, HttpPipelinePolicy authorization, TableClientOptions? options = null)
    {
        _endpoint = tableEndpoint.AbsoluteUri.TrimEnd('/');
        _pipeline = HttpPipelineBuilder.Build(options ?? new TableClientOptions(), authorization);
    }

    /// <summary>From configuration: a connection string (shared key), or a Table endpoint with managed identity.</summary>
    public static TableStorageClient Create(StorageOptions options, TimeProvider time, TableClientOptions? clientOptions = null)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            var connection = StorageConnection.Parse(options.ConnectionString);
            return new TableStorageClient(connection.TableEndpoint, new SharedKeyPolicy(connection.AccountName, connection.AccountKey, time), clientOptions);
        }
        if (string.IsNullOrWhiteSpace(options.TableEndpoint))
        {
            throw new InvalidOperationException($"{StorageOptions.Section} needs ConnectionString or TableEndpoint.");
        }
        TokenCredential credential = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));
        return new TableStorageClient(new Uri(options.TableEndpoint), new BearerTokenAuthenticationPolicy(credential, "https://storage.azure.com/.default"), clientOptions);
    }

    public async Task CreateTableIfNotExistsAsync(string table, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, "/Tables");
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJson(message, w =>
        {
            w.WriteStartObject();
            w.WriteString("TableName", table);
            w.WriteEndObject();
        });
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        var status = message.Response.Status;
        if (status is 201 or 204)
        {
            return;
        }
        var error = ToException(message.Response);
        if (error.Status == 409 && error.ErrorCode is "TableAlreadyExists" or null)
        {
            return;
        }
        throw error;
    }

    public async Task<TableEntity?> GetEntityAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Get, EntityPath(table, partitionKey, rowKey));
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status == 404)
        {
            return null;
        }
        if (response.Status != 200)
        {
            throw ToException(response);
        }
        using var document = JsonDocument.Parse(response.Content.ToMemory());
        return TableEntityJson.Read(document.RootElement, response.Headers.ETag?.ToString());
    }

    public async Task<string?> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, "/" + table);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJson(message, w => TableEntityJson.Write(w, entity));
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        return message.Response.Status is 201 or 204 ? message.Response.Headers.ETag?.ToString() : throw ToException(message.Response);
    }

    public Task<string?> UpsertAsync(string table, TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken) =>
        WriteEntityAsync(table, entity, mode, ifMatch: null, cancellationToken);

    public Task<string?> UpdateAsync(string table, TableEntity entity, TableUpdateMode mode, string ifMatch, CancellationToken cancellationToken) =>
        WriteEntityAsync(table, entity, mode, ifMatch, cancellationToken);

    private async Task<string?> WriteEntityAsync(string table, TableEntity entity, TableUpdateMode mode, string? ifMatch, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(mode == TableUpdateMode.Merge ? Merge : RequestMethod.Put, EntityPath(table, entity.PartitionKey, entity.RowKey));
        if (ifMatch is not null)
        {
            message.Request.Headers.SetValue("If-Match", ifMatch);
        }
        SetJson(message, w => TableEntityJson.Write(w, entity));
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        return message.Response.Status == 204 ? message.Response.Headers.ETag?.ToString() : throw ToException(message.Response);
    }

    public async Task DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Delete, EntityPath(table, partitionKey, rowKey));
        message.Request.Headers.SetValue("If-Match", ifMatch);
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 204)
        {
            throw ToException(message.Response);
        }
    }

    public async Task<TablePage> QueryAsync(string table, TableQuery query, string? continuationToken, CancellationToken cancellationToken)
    {
        var path = new StringBuilder("/").Append(table).Append("()");
        var separator = '?';
        void Add(string name, string value)
        {
            path.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        if (!string.IsNullOrEmpty(query.Filter))
        {
            Add("$filter", query.Filter);
        }
        if (query.Select is { Count: > 0 } select)
        {
            Add("$select", string.Join(',', select));
        }
        if (query.Top is { } top)
        {
            Add("$top", top.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (ContinuationToken.TryDecode(continuationToken, out var nextPartition, out var nextRow))
        {
            Add("NextPartitionKey", nextPartition);
            if (nextRow is not null)
            {
                Add("NextRowKey", nextRow);
            }
        }

        using var message = CreateMessage(RequestMethod.Get, path.ToString());
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status != 200)
        {
            throw ToException(response);
        }
        using var document = JsonDocument.Parse(response.Content.ToMemory());
        var entities = new List<TableEntity>();
        if (document.RootElement.TryGetProperty("value", out var values))
        {
            foreach (var element in values.EnumerateArray())
            {
                entities.Add(TableEntityJson.Read(element));
            }
        }
        response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var npk);
        response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var nrk);
        return new TablePage(entities, ContinuationToken.Encode(npk, nrk));
    }

    public async Task SubmitTransactionAsync(string table, IReadOnlyList<TableAction> actions, CancellationToken cancellationToken)
    {
        if (actions.Count is 0 or > 100)
        {
            throw new ArgumentException("A transaction holds 1 to 100 actions.", nameof(actions));
        }
        var partition = actions[0].Entity.PartitionKey;
        if (actions.Any(a => a.Entity.PartitionKey != partition))
        {
            throw new ArgumentException("All actions of a transaction must share one partition key.", nameof(actions));
        }

        using var body = new PooledBufferWriter(1024 * actions.Count);
        TableBatch.Build(_endpoint, table, actions, body, out var contentType);
        if (body.WrittenCount >= 4 * 1024 * 1024)
        {
            throw new ArgumentException("A transaction must be under 4 MiB.", nameof(actions));
        }
        // The pooled body outlives every send of the message (retries included): both end with this method.
        using var message = CreateMessage(RequestMethod.Post, "/$batch");
        message.Request.Headers.SetValue("Content-Type", contentType);
        message.Request.Content = RequestContent.Create(body.WrittenMemory);
        await SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status != 202)
        {
            throw ToException(response);
        }
        var failure = TableBatch.FindFailure(response.Content.ToString());
        if (failure is not null)
        {
            throw failure;
        }
    }

    private async ValueTask SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            // No answer (connection refused, timeouts): status 0.
            throw new TableStorageException(e.Status, e.ErrorCode, "Table Storage could not be reached: " + e.GetType().Name, inner: e);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException or IOException or TaskCanceledException))
        {
            // The pipeline's retries all failed without an answer.
            throw new TableStorageException(0, null, $"Table Storage could not be reached after {e.InnerExceptions.Count} attempts.", inner: e);
        }
    }

    private HttpMessage CreateMessage(RequestMethod method, string pathAndQuery)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Reset(new Uri(_endpoint + pathAndQuery));
        request.Headers.SetValue("x-ms-version", ApiVersion);
        request.Headers.SetValue("DataServiceVersion", "3.0");
        request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        request.Headers.SetValue("Accept", AcceptMinimalMetadata);
        message.BufferResponse = true;
        return message;
    }

    private static void SetJson(HttpMessage message, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        message.Request.Headers.SetValue("Content-Type", JsonType);
        message.Request.Content = RequestContent.Create(buffer.WrittenMemory);
    }

    /// <summary><c>/table(PartitionKey='…',RowKey='…')</c> with quotes doubled and the keys percent-encoded.</summary>
    internal static string EntityPath(string table, string partitionKey, string rowKey) =>
        $"/{table}(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')";

    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    internal static TableStorageException ToException(Response response)
    {
        response.Headers.TryGetValue("x-ms-error-code", out var code);
        string? message = null;
        try
        {
            if (response.Content.ToMemory().Length > 0)
            {
                using var document = JsonDocument.Parse(response.Content.ToMemory());
                if (document.RootElement.TryGetProperty("odata.error", out var error))
                {
                    code ??= error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    message = error.TryGetProperty("message", out var m) && m.TryGetProperty("value", out var v) ? v.GetString() : null;
                }
            }
        }
        catch (JsonException)
        {
        }
        var firstLine = message?.Split('\n')[0];
        return new TableStorageException(response.Status, code, $"Table Storage answered {response.Status} {code}: {firstLine ?? response.ReasonPhrase}");
    }
}
