using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Usage;

/// <summary>Reads usage records back from the ledger's table: one key's records in a time range, a page at a time.</summary>
public sealed class UsageReader(ITableStore store, IOptions<StorageOptions> storage)
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(92);

    private readonly string _table = storage.Value.TablePrefix + "usage";

    public async Task<(IReadOnlyList<UsageRecord> Records, string? ContinuationToken)> ReadAsync(
        string keyId, DateTimeOffset from, DateTimeOffset to, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(
            TableFilter.Compare("PartitionKey", "ge", UsageEntity.Bucket(from)),
            TableFilter.Compare("PartitionKey", "lt", UsageEntity.Bucket(to.AddMinutes(UsageEntity.BucketMinutes))),
            TableFilter.Equal("KeyId", keyId),
            TableFilter.Compare("StartedAt", "ge", from),
            TableFilter.Compare("StartedAt", "lt", to));
        try
        {
            var page = await store.QueryAsync(_table, new TableQuery(filter, Top: Math.Clamp(pageSize, 1, 1000)), continuationToken, cancellationToken).ConfigureAwait(false);
            return (page.Entities.Select(UsageEntity.FromEntity).ToList(), page.ContinuationToken);
        }
        catch (TableStorageException e) when (e.IsNotFound)
        {
            return ([], null); // no record was ever written, so the table does not exist yet
        }
    }
}
