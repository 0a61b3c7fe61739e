using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Tollgate.Storage;

namespace Tollgate.Usage;

/// <summary>
/// Reads usage records back from the ledger's pages: one key's records in a time range a page of results at a
/// time (for the admin API), or every page stored since a watermark (for aggregation).
/// </summary>
public sealed class UsageReader(TableStorage storage)
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(92);

    private readonly TableClient _table = storage.Usage;

    /// <summary>
    /// One key's records that started in [<paramref name="from"/>, <paramref name="to"/>), at most
    /// <paramref name="pageSize"/> of them; the token resumes after the last one returned.
    /// </summary>
    public async Task<(IReadOnlyList<UsageRecord> Records, string? ContinuationToken)> ReadAsync(
        string keyId, DateTimeOffset from, DateTimeOffset to, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        pageSize = Math.Clamp(pageSize, 1, 1000);
        var low = UsagePage.Bucket(from);
        var high = UsagePage.Bucket(to.AddMinutes(UsagePage.BucketMinutes));
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {low} and PartitionKey lt {high} and KeyId eq {keyId}");
        var resume = ResumePoint.Parse(PageToken.Decode(continuationToken));
        if (resume is { } at)
        {
            filter += " and " + TableClient.CreateQueryFilter(
                $"(PartitionKey gt {at.PartitionKey} or (PartitionKey eq {at.PartitionKey} and RowKey ge {at.RowKey}))");
        }

        var records = new List<UsageRecord>();
        try
        {
            await foreach (var page in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var all = UsagePage.Records(page);
                var skip = resume is { } r && r.PartitionKey == page.PartitionKey && r.RowKey == page.RowKey ? r.Skip : 0;
                for (var i = skip; i < all.Count; i++)
                {
                    var record = all[i];
                    if (record.StartedAt < from || record.StartedAt >= to)
                    {
                        continue;
                    }
                    if (records.Count == pageSize)
                    {
                        return (records, PageToken.Encode(new ResumePoint(page.PartitionKey, page.RowKey, i).ToString()));
                    }
                    records.Add(record);
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No record was ever written, so the table does not exist yet.
        }
        return (records, null);
    }

    /// <summary>
    /// Every page whose records started at or after <paramref name="startedFrom"/> and that was stored (the
    /// service's own timestamp) at or after <paramref name="storedSince"/>: what aggregation reads since its
    /// watermark. A page written late, after a storage outage, has a late timestamp and so is still found.
    /// </summary>
    public async IAsyncEnumerable<StoredUsagePage> ReadStoredSinceAsync(
        DateTimeOffset startedFrom, DateTimeOffset storedSince, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {UsagePage.Bucket(startedFrom)} and Timestamp ge {storedSince}");
        var pages = _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken);
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                yield break;
            }
            var page = enumerator.Current;
            yield return new StoredUsagePage(page.PartitionKey, page.RowKey, page.Timestamp ?? default, UsagePage.Records(page));
        }
    }

    private readonly record struct ResumePoint(string PartitionKey, string RowKey, int Skip)
    {
        public override string ToString() => PartitionKey + "\n" + RowKey + "\n" + Skip.ToString(CultureInfo.InvariantCulture);

        public static ResumePoint? Parse(string? text)
        {
            if (text is null)
            {
                return null;
            }
            var parts = text.Split('\n');
            return parts.Length == 3 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var skip)
                ? new ResumePoint(parts[0], parts[1], skip)
                : throw new ArgumentException("The continuation token is not valid.");
        }
    }
}
