using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Tollgate.Json;
using Tollgate.Storage;

namespace Tollgate.Pricing;

/// <summary>
/// Prices set through the admin API, in one partition of the prices table (a price list is small and read whole).
/// RowKey <c>{hash of model and upstream, 16 hex}-{start, UTC ticks}</c>: the same model, upstream and start is one
/// row, so setting it again replaces it. Amounts are stored as invariant decimal strings, exactly.
/// </summary>
public sealed class PriceStore(TableStorage storage)
{
    private const string Partition = "price";

    private readonly TableClient _table = storage.Prices;

    public async Task<List<ModelPrice>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var prices = new List<ModelPrice>();
        try
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                prices.Add(FromEntity(row));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No price was ever stored: the table does not exist yet.
        }
        return prices;
    }

    public async Task SaveAsync(ModelPrice price, CancellationToken cancellationToken)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(ToEntity(price), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a stored price; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string model, string? upstream, DateTimeOffset effectiveFrom, CancellationToken cancellationToken)
    {
        try
        {
            // The SDK answers a missing row with a 404 response rather than an exception.
            using var response = await _table.DeleteEntityAsync(Partition, RowKey(model, upstream, effectiveFrom), ETag.All, cancellationToken).ConfigureAwait(false);
            return response.Status != 404;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static string RowKey(string model, string? upstream, DateTimeOffset effectiveFrom) =>
        StableHash.Fnv1a64(model + "\n" + upstream).ToString("x16", CultureInfo.InvariantCulture) + "-"
        + effectiveFrom.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(ModelPrice price)
    {
        var entity = new TableEntity(Partition, RowKey(price.Model, price.Upstream, price.EffectiveFrom))
        {
            ["Model"] = price.Model,
            ["EffectiveFrom"] = price.EffectiveFrom.ToUniversalTime(),
            ["InputPerMillion"] = Text(price.InputPerMillion),
            ["OutputPerMillion"] = Text(price.OutputPerMillion),
            ["PerRequest"] = Text(price.PerRequest),
        };
        if (price.Upstream is not null)
        {
            entity["Upstream"] = price.Upstream;
        }
        if (price.CachedInputPerMillion is { } cached)
        {
            entity["CachedInputPerMillion"] = Text(cached);
        }
        if (price.ReasoningPerMillion is { } reasoning)
        {
            entity["ReasoningPerMillion"] = Text(reasoning);
        }
        return entity;
    }

    private static ModelPrice FromEntity(TableEntity row) => new()
    {
        Model = row.GetString("Model") ?? "",
        Upstream = row.GetString("Upstream"),
        EffectiveFrom = row.GetDateTimeOffset("EffectiveFrom") ?? default,
        InputPerMillion = Amount(row.GetString("InputPerMillion")) ?? 0m,
        CachedInputPerMillion = Amount(row.GetString("CachedInputPerMillion")),
        OutputPerMillion = Amount(row.GetString("OutputPerMillion")) ?? 0m,
        ReasoningPerMillion = Amount(row.GetString("ReasoningPerMillion")),
        PerRequest = Amount(row.GetString("PerRequest")) ?? 0m,
    };

    private static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal? Amount(string? text) =>
        text is null ? null : decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);
}
