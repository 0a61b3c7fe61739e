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
    /// One key's records that started in [<paramref name="from"/>, <paramref name="to"/>), newest first, at most
    /// <paramref name="pageSize"/> of them; the token resumes after the last one returned. The range is read
    /// backwards a window of 5-minute buckets at a time (a window widens while it finds nothing, up to a day), and
    /// only the newest <paramref name="pageSize"/> records of a window are held at once.
    /// </summary>
    public async Task<(IReadOnlyList<UsageRecord> Records, string? ContinuationToken)> ReadAsync(
        string keyId, DateTimeOffset from, DateTimeOffset to, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        pageSize = Math.Clamp(pageSize, 1, 1000);
        var lowest = UsagePage.BucketStart(from);
        var cursor = Cursor.Parse(PageToken.Decode(continuationToken))
                     ?? new Cursor(UsagePage.BucketStart(to.AddTicks(-1)) + BucketTicks, 1, null, null);
        var records = new List<UsageRecord>(pageSize);
        try
        {
            while (cursor.WindowEnd > lowest)
            {
                var windowStart = Math.Max(lowest, cursor.WindowEnd - cursor.Width * BucketTicks);
                var need = pageSize - records.Count;
                var newest = await NewestAsync(keyId, from, to, windowStart, cursor, need + 1, cancellationToken).ConfigureAwait(false);
                if (newest.Count > need)
                {
                    records.AddRange(newest.Take(need));
                    var last = records[^1];
                    return (records, PageToken.Encode((cursor with { BeforeTicks = last.StartedAt.UtcTicks, BeforeId = last.RequestId }).ToString()));
                }
                records.AddRange(newest);
                var width = newest.Count == 0 ? Math.Min(cursor.Width * 2, MaxWindowBuckets) : cursor.Width;
                cursor = new Cursor(windowStart, width, null, null);
                if (records.Count == pageSize)
                {
                    return (records, cursor.WindowEnd > lowest ? PageToken.Encode(cursor.ToString()) : null);
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
    /// Every record of one key that started in [<paramref name="from"/>, <paramref name="to"/>), as stored (a request
    /// stored twice is there twice), page by page: only the page being read is held, however many records the range has.
    /// </summary>
    public async IAsyncEnumerable<UsageRecord> ReadAllAsync(string keyId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var low = UsagePage.Bucket(from);
        var high = Bucket(UsagePage.BucketStart(to.AddTicks(-1)) + BucketTicks);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {low} and PartitionKey lt {high} and KeyId eq {keyId}");
        await foreach (var page in EntitiesAsync(filter, cancellationToken).ConfigureAwait(false))
        {
            foreach (var record in UsagePage.Records(page))
            {
                if (record.StartedAt >= from && record.StartedAt < to)
                {
                    yield return record;
                }
            }
        }
    }

    /// <summary>The usage pages <paramref name="filter"/> matches, as the service returns them; none when no record was ever written (no table yet).</summary>
    private async IAsyncEnumerable<TableEntity> EntitiesAsync(string filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var pages = _table.QueryAsync<TableEntity>(filter, maxPerPage: EntitiesPerResponse, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await pages.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                yield break;
            }
            yield return pages.Current;
        }
    }

    /// <summary>The window's newest <paramref name="limit"/> records of the key in range, older than the cursor's record, newest first.</summary>
    private async Task<List<UsageRecord>> NewestAsync(string keyId, DateTimeOffset from, DateTimeOffset to, long windowStart, Cursor cursor, int limit, CancellationToken cancellationToken)
    {
        var low = Bucket(windowStart);
        var high = Bucket(cursor.WindowEnd);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {low} and PartitionKey lt {high} and KeyId eq {keyId}");
        var kept = new PriorityQueue<UsageRecord, UsageRecord>(limit + 1, Oldest);
        await foreach (var page in _table.QueryAsync<TableEntity>(filter, maxPerPage: EntitiesPerResponse, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            foreach (var record in UsagePage.Records(page))
            {
                if (record.StartedAt < from || record.StartedAt >= to || (cursor.BeforeTicks is { } ticks && NewestFirst.Compare(record, ticks, cursor.BeforeId!) <= 0))
                {
                    continue;
                }
                kept.Enqueue(record, record);
                if (kept.Count > limit)
                {
                    kept.Dequeue();
                }
            }
        }
        var newest = new List<UsageRecord>(kept.Count);
        while (kept.TryDequeue(out var record, out _))
        {
            newest.Add(record);
        }
        newest.Reverse();
        return newest;
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
        await foreach (var page in EntitiesAsync(filter, cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredUsagePage(page.PartitionKey, page.RowKey, page.Timestamp ?? default, UsagePage.Records(page));
        }
    }

    /// <summary>
    /// Usage pages asked for per response. A page is up to ~80 KB of base64; the service's default of 1,000 per response
    /// (which Azurite honours whole) would put tens of megabytes in one response, held while it is parsed.
    /// </summary>
    private const int EntitiesPerResponse = 16;

    private const int MaxWindowBuckets = 24 * 60 / UsagePage.BucketMinutes;

    private static readonly long BucketTicks = TimeSpan.FromMinutes(UsagePage.BucketMinutes).Ticks;

    /// <summary>Orders records oldest first, so that a bounded queue drops the oldest.</summary>
    private static readonly Comparer<UsageRecord> Oldest = Comparer<UsageRecord>.Create((a, b) => -NewestFirst.Compare(a, b.StartedAt.UtcTicks, b.RequestId));

    private static string Bucket(long ticks) => UsagePage.Bucket(new DateTimeOffset(ticks, TimeSpan.Zero));

    /// <summary>Newest first: later start first, then the larger request id; negative when the record comes first.</summary>
    private static class NewestFirst
    {
        public static int Compare(UsageRecord a, long bTicks, string bId)
        {
            var byTime = bTicks.CompareTo(a.StartedAt.UtcTicks);
            return byTime != 0 ? byTime : string.CompareOrdinal(bId, a.RequestId);
        }
    }

    /// <summary>Where reading resumes: the window that ends (exclusive, UTC ticks) at <see cref="WindowEnd"/>, after a record.</summary>
    private sealed record Cursor(long WindowEnd, int Width, long? BeforeTicks, string? BeforeId)
    {
        public override string ToString() => string.Join('\n', WindowEnd.ToString(CultureInfo.InvariantCulture), Width.ToString(CultureInfo.InvariantCulture),
            BeforeTicks?.ToString(CultureInfo.InvariantCulture) ?? "", BeforeId ?? "");

        public static Cursor? Parse(string? text)
        {
            if (text is null)
            {
                return null;
            }
            var parts = text.Split('\n');
            if (parts.Length == 4
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var end) && end > 0 && end <= DateTimeOffset.MaxValue.UtcTicks
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width is >= 1 and <= MaxWindowBuckets)
            {
                if (parts[2].Length == 0 && parts[3].Length == 0)
                {
                    return new Cursor(end, width, null, null);
                }
                if (long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var before) && parts[3].Length is > 0 and <= 128)
                {
                    return new Cursor(end, width, before, parts[3]);
                }
            }
            throw new ArgumentException("The continuation token is not valid.");
        }
    }
}
