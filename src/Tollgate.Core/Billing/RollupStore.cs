using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Tollgate.Json;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Billing;

/// <summary>
/// Rollups in the rollups table. A key's: PartitionKey <c>key_{key id}</c>, RowKey the period (<c>B202611230805</c>,
/// <c>H2026112308</c>, <c>D20261123</c>, <c>M202611</c>). An owner's: PartitionKey <c>owner_{owner}</c>, the hour, day and month RowKeys, and beside them
/// each key's hour as <c>K2026112308|{key id}</c>, which the owner's hour is summed from. The aggregation's
/// watermark is the row <c>_meta/watermark</c>. Every row is written whole (replace), never incremented.
/// The breakdown by model is JSON (ASCII: the serializer escapes the rest) cut into properties of at most
/// <see cref="ModelsChunkChars"/> characters, <c>Models</c>, <c>Models1</c>, <c>Models2</c>…, under Table Storage's 64 KiB
/// property limit; with <see cref="Rollup.MaxModels"/> lines of names cut to <see cref="Rollup.MaxModelLength"/>, a row stays far under its 1 MiB.
/// </summary>
public sealed class RollupStore(TableStorage storage)
{
    private const string MetaPartition = "_meta";
    private const string WatermarkRow = "watermark";

    /// <summary>The most characters of the models' JSON one property holds (UTF-16: 60,000 bytes of the 65,536 allowed).</summary>
    public const int ModelsChunkChars = 30_000;

    private const string ModelsProperty = "Models";

    private readonly TableClient _table = storage.Rollups;
    private volatile bool _tableReady;

    public static string PartitionKey(RollupScope scope, string id) =>
        scope == RollupScope.Key ? "key_" + UsagePage.SafeKeyId(id) : "owner_" + SafeOwner(id);

    /// <summary>Owners are free text; one that is not plainly safe in a key is replaced by its hash.</summary>
    public static string SafeOwner(string owner) =>
        owner.Length is > 0 and <= 100 && owner.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@')
            ? owner
            : "~" + StableHash.Fnv1a64(owner).ToString("x16", CultureInfo.InvariantCulture);

    private static string PartRowKey(BillingPeriod hour, string keyId) => "K" + hour.Key[1..] + "|" + UsagePage.SafeKeyId(keyId);

    public async Task WriteAsync(Rollup rollup, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(ToEntity(PartitionKey(rollup.Scope, rollup.Id), rollup.Period.Key, rollup), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a key's hour where its owner's hour is summed from.</summary>
    public async Task WriteOwnerPartAsync(Rollup keyHour, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var entity = ToEntity(PartitionKey(RollupScope.Owner, keyHour.Owner), PartRowKey(keyHour.Period, keyHour.Id), keyHour);
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rollups of one kind of period that start in [<paramref name="from"/>, <paramref name="to"/>), oldest first.</summary>
    public async Task<List<Rollup>> ReadAsync(RollupScope scope, string id, PeriodKind kind, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var low = BillingPeriod.Of(kind, from).Key;
        var high = BillingPeriod.Of(kind, to).Key;
        var pk = PartitionKey(scope, id);
        var includeLast = BillingPeriod.Of(kind, to).Start < to;
        var filter = includeLast
            ? TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {low} and RowKey le {high}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {low} and RowKey lt {high}");
        return await QueryAsync(filter, scope, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every key's part of an owner's hour.</summary>
    public async Task<List<Rollup>> ReadOwnerPartsAsync(string owner, BillingPeriod hour, CancellationToken cancellationToken)
    {
        var pk = PartitionKey(RollupScope.Owner, owner);
        var prefix = "K" + hour.Key[1..] + "|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey gt {prefix} and RowKey lt {prefix + "~"}");
        return await QueryAsync(filter, RollupScope.Key, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Rollup?> GetAsync(RollupScope scope, string id, BillingPeriod period, CancellationToken cancellationToken)
    {
        try
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionKey(scope, id), period.Key, cancellationToken: cancellationToken).ConfigureAwait(false);
            return row.HasValue && row.Value is { } entity ? FromEntity(entity, scope, id) : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The time up to which every stored page has been rolled up (null before the first run), and its ETag.</summary>
    public async Task<(DateTimeOffset? Value, ETag ETag)> ReadWatermarkAsync(CancellationToken cancellationToken)
    {
        try
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(MetaPartition, WatermarkRow, cancellationToken: cancellationToken).ConfigureAwait(false);
            return row.HasValue && row.Value is { } entity ? (entity.GetDateTimeOffset("Watermark"), entity.ETag) : (null, default);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, default);
        }
    }

    /// <summary>Moves the watermark forward to <paramref name="value"/>, never back (another run may have moved it further).</summary>
    public async Task AdvanceWatermarkAsync(DateTimeOffset value, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var (current, etag) = await ReadWatermarkAsync(cancellationToken).ConfigureAwait(false);
            if (current >= value)
            {
                return;
            }
            var entity = new TableEntity(MetaPartition, WatermarkRow) { ["Watermark"] = value.ToUniversalTime() };
            try
            {
                if (current is null)
                {
                    await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another run wrote it meanwhile: read it again and keep the later of the two.
            }
        }
    }

    private async Task<List<Rollup>> QueryAsync(string filter, RollupScope scope, string? id, CancellationToken cancellationToken)
    {
        var rollups = new List<Rollup>();
        try
        {
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rollups.Add(FromEntity(row, scope, id));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Nothing was ever rolled up: the table does not exist yet.
        }
        return rollups;
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_tableReady)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _tableReady = true;
        }
    }

    private static TableEntity ToEntity(string partitionKey, string rowKey, Rollup rollup)
    {
        var total = rollup.Total;
        var entity = new TableEntity(partitionKey, rowKey)
        {
            ["Id"] = rollup.Id,
            ["Owner"] = rollup.Owner,
            ["Period"] = rollup.Period.Key,
            ["Requests"] = total.Requests,
            ["Errors"] = total.Errors,
            ["PromptTokens"] = total.PromptTokens,
            ["CachedTokens"] = total.CachedTokens,
            ["CompletionTokens"] = total.CompletionTokens,
            ["ReasoningTokens"] = total.ReasoningTokens,
            ["UnpricedRequests"] = total.UnpricedRequests,
            ["Cost"] = total.Cost.ToString(CultureInfo.InvariantCulture),
        };
        var models = JsonSerializer.Serialize(rollup.Models, BillingJsonContext.Default.SortedDictionaryStringUsageTotals);
        for (var (start, index) = (0, 0); start < models.Length; start += ModelsChunkChars, index++)
        {
            entity[ModelsName(index)] = models.Substring(start, Math.Min(ModelsChunkChars, models.Length - start));
        }
        return entity;
    }

    private static string ModelsName(int index) => index == 0 ? ModelsProperty : ModelsProperty + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The models' JSON put back together from its properties.</summary>
    private static string ModelsJson(TableEntity row)
    {
        var first = row.GetString(ModelsProperty) ?? "{}";
        if (!row.ContainsKey(ModelsName(1)))
        {
            return first;
        }
        var json = new System.Text.StringBuilder(first);
        for (var index = 1; row.GetString(ModelsName(index)) is { } part; index++)
        {
            json.Append(part);
        }
        return json.ToString();
    }

    private static Rollup FromEntity(TableEntity row, RollupScope scope, string? id)
    {
        BillingPeriod.TryParse(row.GetString("Period") ?? "", out var period);
        var models = JsonSerializer.Deserialize(ModelsJson(row), BillingJsonContext.Default.SortedDictionaryStringUsageTotals) ?? [];
        return new Rollup
        {
            Scope = scope,
            Id = id ?? row.GetString("Id") ?? "",
            Period = period,
            Owner = row.GetString("Owner") ?? "",
            Total = new UsageTotals
            {
                Requests = row.GetInt64("Requests") ?? 0,
                Errors = row.GetInt64("Errors") ?? 0,
                PromptTokens = row.GetInt64("PromptTokens") ?? 0,
                CachedTokens = row.GetInt64("CachedTokens") ?? 0,
                CompletionTokens = row.GetInt64("CompletionTokens") ?? 0,
                ReasoningTokens = row.GetInt64("ReasoningTokens") ?? 0,
                UnpricedRequests = row.GetInt64("UnpricedRequests") ?? 0,
                Cost = decimal.Parse(row.GetString("Cost") ?? "0", NumberStyles.Number, CultureInfo.InvariantCulture),
            },
            Models = new SortedDictionary<string, UsageTotals>(models, StringComparer.Ordinal),
        };
    }
}
