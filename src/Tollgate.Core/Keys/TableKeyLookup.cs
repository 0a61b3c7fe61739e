using Azure;
using Azure.Data.Tables;
using Tollgate.Storage;

namespace Tollgate.Keys;

/// <summary>
/// The hot path: finds a key by the hash of its text with one point read on its lookup row, and records last
/// use. A storage outage surfaces as <see cref="KeyStoreUnavailableException"/>.
/// </summary>
public sealed class TableKeyLookup(KeyTable table) : IKeyStore
{
    public async ValueTask<ApiKey?> FindAsync(KeyHash hash, CancellationToken cancellationToken)
    {
        var hex = hash.ToHex();
        TableEntity? row;
        try
        {
            await table.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
            row = await table.GetAsync(KeyEntity.HashPartition(hex), hex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (TableStorage.IsOutage(e))
        {
            throw new KeyStoreUnavailableException(e);
        }
        if (row is null)
        {
            return null;
        }
        var key = KeyEntity.FromLookupRow(row);
        return key.Hash.FixedTimeEquals(hash) ? key : null;
    }

    /// <summary>Records that the key was used (called at most every few minutes per key).</summary>
    public async Task TouchAsync(ApiKey key, DateTimeOffset when, CancellationToken cancellationToken)
    {
        var hex = key.Hash.ToHex();
        var row = new TableEntity(KeyEntity.HashPartition(hex), hex) { ["LastUsedAt"] = when };
        try
        {
            await table.Client.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // A key from configuration, or one deleted meanwhile: nothing to touch.
        }
    }
}
