using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Usage;

namespace Tollgate.Billing;

/// <summary>What one aggregation run did.</summary>
public sealed record AggregationResult(int PagesRead, int KeyBuckets, int KeyHours, int RollupsWritten, DateTimeOffset Watermark);

/// <summary>
/// Turns usage records into rollups: finds the pages stored since the last run (the watermark, less an overlap),
/// and recomputes from its records every key 5-minute bucket they touch, then from those the key's hour, day and
/// month, and the owner's hour, day and month. Nothing is ever added to a stored total, so a run repeated, two runs at once, a run that died
/// half-way (its watermark never moved) and records stored late all end with the totals of a direct sum.
/// </summary>
public sealed partial class UsageAggregator(UsageReader reader, RollupStore rollups, IOptions<BillingOptions> options, TimeProvider time, ILogger<UsageAggregator> logger)
{
    private readonly BillingOptions _options = options.Value;

    public async Task<AggregationResult> RunAsync(CancellationToken cancellationToken)
    {
        var runStart = time.GetUtcNow();
        var (watermark, _) = await rollups.ReadWatermarkAsync(cancellationToken).ConfigureAwait(false);
        var storedSince = watermark is { } w ? w - _options.Overlap : DateTimeOffset.MinValue;
        var startedFrom = watermark is null ? DateTimeOffset.MinValue : storedSince - _options.LateRecordWindow;

        var keyBuckets = new HashSet<(string KeyId, DateTimeOffset Bucket)>();
        var pages = 0;
        await foreach (var page in reader.ReadStoredSinceAsync(startedFrom, storedSince, cancellationToken).ConfigureAwait(false))
        {
            pages++;
            foreach (var record in page.Records)
            {
                keyBuckets.Add((record.KeyId, BillingPeriod.Of(PeriodKind.Bucket, record.StartedAt).Start));
            }
        }

        // A key's 5-minute buckets from its records (a bucket is one partition of the usage table), then its hours from them.
        var written = 0;
        var keyHours = new HashSet<(string, DateTimeOffset)>();
        foreach (var (keyId, bucketStart) in keyBuckets.OrderBy(k => k.Bucket))
        {
            var bucket = new BillingPeriod(PeriodKind.Bucket, bucketStart);
            var records = await reader.ReadAllAsync(keyId, bucket.Start, bucket.End, cancellationToken).ConfigureAwait(false);
            await rollups.WriteAsync(Rollup.FromRecords(RollupScope.Key, keyId, bucket, records), cancellationToken).ConfigureAwait(false);
            written++;
            keyHours.Add((keyId, bucket.Parent!.Value.Start));
        }

        var keyDays = new HashSet<(string, DateTimeOffset)>();
        var ownerHours = new HashSet<(string, DateTimeOffset)>();
        foreach (var (keyId, hourStart) in keyHours)
        {
            var hour = new BillingPeriod(PeriodKind.Hour, hourStart);
            var rollup = await SumIntoAsync(RollupScope.Key, keyId, hour, cancellationToken).ConfigureAwait(false);
            await rollups.WriteOwnerPartAsync(rollup, cancellationToken).ConfigureAwait(false);
            written += 2;
            keyDays.Add((keyId, hour.Parent!.Value.Start));
            ownerHours.Add((rollup.Owner, hourStart));
        }

        var ownerDays = new HashSet<(string, DateTimeOffset)>();
        foreach (var (owner, hourStart) in ownerHours)
        {
            var hour = new BillingPeriod(PeriodKind.Hour, hourStart);
            var parts = await rollups.ReadOwnerPartsAsync(owner, hour, cancellationToken).ConfigureAwait(false);
            await rollups.WriteAsync(Rollup.Sum(RollupScope.Owner, owner, hour, parts.Where(p => p.Owner == owner)), cancellationToken).ConfigureAwait(false);
            written++;
            ownerDays.Add((owner, hour.Parent!.Value.Start));
        }

        written += await RollUpAsync(RollupScope.Key, keyDays, cancellationToken).ConfigureAwait(false);
        written += await RollUpAsync(RollupScope.Owner, ownerDays, cancellationToken).ConfigureAwait(false);

        await rollups.AdvanceWatermarkAsync(runStart, cancellationToken).ConfigureAwait(false);
        var result = new AggregationResult(pages, keyBuckets.Count, keyHours.Count, written, runStart);
        LogRun(logger, pages, keyBuckets.Count, keyHours.Count, written, runStart);
        return result;
    }

    /// <summary>Recomputes the given days from their hours, then their months from their days.</summary>
    private async Task<int> RollUpAsync(RollupScope scope, HashSet<(string Id, DateTimeOffset Day)> days, CancellationToken cancellationToken)
    {
        var written = 0;
        var months = new HashSet<(string, DateTimeOffset)>();
        foreach (var (id, dayStart) in days)
        {
            var day = new BillingPeriod(PeriodKind.Day, dayStart);
            await SumIntoAsync(scope, id, day, cancellationToken).ConfigureAwait(false);
            written++;
            months.Add((id, day.Parent!.Value.Start));
        }
        foreach (var (id, monthStart) in months)
        {
            await SumIntoAsync(scope, id, new BillingPeriod(PeriodKind.Month, monthStart), cancellationToken).ConfigureAwait(false);
            written++;
        }
        return written;
    }

    private async Task<Rollup> SumIntoAsync(RollupScope scope, string id, BillingPeriod period, CancellationToken cancellationToken)
    {
        var parts = await rollups.ReadAsync(scope, id, period.ChildKind!.Value, period.Start, period.End, cancellationToken).ConfigureAwait(false);
        var rollup = Rollup.Sum(scope, id, period, parts);
        await rollups.WriteAsync(rollup, cancellationToken).ConfigureAwait(false);
        return rollup;
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information,
        Message = "Usage aggregation: {Pages} pages read, {KeyBuckets} key buckets and {KeyHours} key hours recomputed, {Rollups} rollups written; watermark {Watermark:o}")]
    private static partial void LogRun(ILogger logger, int pages, int keyBuckets, int keyHours, int rollups, DateTimeOffset watermark);
}
