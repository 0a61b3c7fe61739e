using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Billing;

/// <summary>What one aggregation run did. <see cref="RollupsFailed"/>: rollups it could not compute or write, and those above them it left alone.</summary>
public sealed record AggregationResult(int PagesRead, int KeyBuckets, int KeyHours, int RollupsWritten, DateTimeOffset Watermark, int RollupsFailed = 0);

/// <summary>
/// Turns usage records into rollups: finds the pages stored since the last run (the watermark, less an overlap),
/// and recomputes from its records every key 5-minute bucket they touch, then from those the key's hour, day and
/// month, and the owner's hour, day and month. Nothing is ever added to a stored total, so a run repeated, two runs at once, a run that died
/// half-way (its watermark never moved) and records stored late all end with the totals of a direct sum.
/// A rollup that cannot be computed or written (storage refuses the row, a page will not read) does not stop the others:
/// it is logged, the rollups above it are left as they were, and the watermark stops at the first page it was computed
/// from, so the next run reads that page again and tries once more. Storage out or too slow fails the whole run instead.
/// </summary>
public sealed partial class UsageAggregator(UsageReader reader, RollupStore rollups, IOptions<BillingOptions> options, TimeProvider time, ILogger<UsageAggregator> logger)
{
    /// <summary>The most failed rollups one run logs one by one; the run's summary counts them all.</summary>
    private const int MaxFailuresLogged = 10;

    private readonly BillingOptions _options = options.Value;
    private readonly ILogger _logger = logger;

    // The rollups that failed in the last run: one that fails again is not logged again at Warning.
    private HashSet<Unit> _failedLastRun = [];

    public async Task<AggregationResult> RunAsync(CancellationToken cancellationToken)
    {
        var runStart = time.GetUtcNow();
        var (watermark, _) = await rollups.ReadWatermarkAsync(cancellationToken).ConfigureAwait(false);
        var storedSince = watermark is { } w ? w - _options.Overlap : DateTimeOffset.MinValue;
        var startedFrom = watermark is null ? DateTimeOffset.MinValue : storedSince - _options.LateRecordWindow;

        // Each key bucket touched, with the earliest time a page of it was stored (where a failure holds the watermark).
        var keyBuckets = new Dictionary<(string KeyId, DateTimeOffset Bucket), DateTimeOffset>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var pages = 0;
        await foreach (var page in reader.ReadStoredSinceAsync(startedFrom, storedSince, cancellationToken).ConfigureAwait(false))
        {
            pages++;
            foreach (var record in page.Records)
            {
                var slot = (record.KeyId, BillingPeriod.Of(PeriodKind.Bucket, record.StartedAt).Start);
                keyBuckets[slot] = keyBuckets.TryGetValue(slot, out var stored) && stored < page.StoredAt ? stored : page.StoredAt;
                owners.TryAdd(record.KeyId, record.Owner);
            }
        }

        var run = new Run(this, cancellationToken);

        // A key's 5-minute buckets from its records (a bucket is one partition of the usage table), then its hours from them.
        var keyHours = new HashSet<(string, DateTimeOffset)>();
        foreach (var ((keyId, bucketStart), _) in keyBuckets.OrderBy(k => k.Key.Bucket))
        {
            var bucket = new BillingPeriod(PeriodKind.Bucket, bucketStart);
            var hour = bucket.Parent!.Value;
            keyHours.Add((keyId, hour.Start));
            await run.TryAsync(new Unit(RollupScope.Key, keyId, bucket), [new Unit(RollupScope.Key, keyId, hour), OwnerUnit(owners, keyId, hour)], 1, async ct =>
            {
                var rollup = await Rollup.FromRecordsAsync(RollupScope.Key, keyId, bucket, reader.ReadAllAsync(keyId, bucket.Start, bucket.End, ct), ct).ConfigureAwait(false);
                await rollups.WriteAsync(rollup, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }

        var keyDays = new HashSet<(string, DateTimeOffset)>();
        var ownerHours = new HashSet<(string, DateTimeOffset)>();
        foreach (var (keyId, hourStart) in keyHours)
        {
            var hour = new BillingPeriod(PeriodKind.Hour, hourStart);
            keyDays.Add((keyId, hour.Parent!.Value.Start));
            ownerHours.Add((owners[keyId], hourStart));
            await run.TryAsync(new Unit(RollupScope.Key, keyId, hour), [new Unit(RollupScope.Key, keyId, hour.Parent!.Value), OwnerUnit(owners, keyId, hour)], 2, async ct =>
            {
                var rollup = await SumIntoAsync(RollupScope.Key, keyId, hour, ct).ConfigureAwait(false);
                await rollups.WriteOwnerPartAsync(rollup, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }

        var ownerDays = new HashSet<(string, DateTimeOffset)>();
        foreach (var (owner, hourStart) in ownerHours)
        {
            var hour = new BillingPeriod(PeriodKind.Hour, hourStart);
            ownerDays.Add((owner, hour.Parent!.Value.Start));
            await run.TryAsync(new Unit(RollupScope.Owner, owner, hour), [new Unit(RollupScope.Owner, owner, hour.Parent!.Value)], 1, async ct =>
            {
                var parts = await rollups.ReadOwnerPartsAsync(owner, hour, ct).ConfigureAwait(false);
                await rollups.WriteAsync(Rollup.Sum(RollupScope.Owner, owner, hour, parts.Where(p => p.Owner == owner)), ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }

        await RollUpAsync(run, RollupScope.Key, keyDays).ConfigureAwait(false);
        await RollUpAsync(run, RollupScope.Owner, ownerDays).ConfigureAwait(false);

        var safe = run.Failed.Count == 0 ? runStart : HeldWatermark(run.Failed, keyBuckets, owners, runStart);
        await rollups.AdvanceWatermarkAsync(safe, cancellationToken).ConfigureAwait(false);
        _failedLastRun = [.. run.Failed];
        var failed = run.Failed.Count + run.Skipped;
        LogRun(_logger, pages, keyBuckets.Count, keyHours.Count, run.Written, failed, safe);
        return new AggregationResult(pages, keyBuckets.Count, keyHours.Count, run.Written, safe, failed);
    }

    /// <summary>Recomputes the given days from their hours, then their months from their days.</summary>
    private async Task RollUpAsync(Run run, RollupScope scope, HashSet<(string Id, DateTimeOffset Day)> days)
    {
        var months = new HashSet<(string, DateTimeOffset)>();
        foreach (var (id, dayStart) in days)
        {
            var day = new BillingPeriod(PeriodKind.Day, dayStart);
            months.Add((id, day.Parent!.Value.Start));
            await run.TryAsync(new Unit(scope, id, day), [new Unit(scope, id, day.Parent!.Value)], 1,
                async ct => await SumIntoAsync(scope, id, day, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        foreach (var (id, monthStart) in months)
        {
            var month = new BillingPeriod(PeriodKind.Month, monthStart);
            await run.TryAsync(new Unit(scope, id, month), [], 1, async ct => await SumIntoAsync(scope, id, month, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    private async Task<Rollup> SumIntoAsync(RollupScope scope, string id, BillingPeriod period, CancellationToken cancellationToken)
    {
        var parts = await rollups.ReadAsync(scope, id, period.ChildKind!.Value, period.Start, period.End, cancellationToken).ConfigureAwait(false);
        var rollup = Rollup.Sum(scope, id, period, parts);
        await rollups.WriteAsync(rollup, cancellationToken).ConfigureAwait(false);
        return rollup;
    }

    private static Unit OwnerUnit(Dictionary<string, string> owners, string keyId, BillingPeriod hour) => new(RollupScope.Owner, owners[keyId], hour);

    /// <summary>
    /// The watermark after a run with failures: the earliest time a page was stored that any failed rollup is computed
    /// from, so the next run reads those pages again (never later than the run's start).
    /// </summary>
    private static DateTimeOffset HeldWatermark(IReadOnlyCollection<Unit> failed, Dictionary<(string KeyId, DateTimeOffset Bucket), DateTimeOffset> keyBuckets,
        Dictionary<string, string> owners, DateTimeOffset runStart)
    {
        var held = runStart;
        foreach (var ((keyId, bucket), storedAt) in keyBuckets)
        {
            if (storedAt < held && failed.Any(u => u.Period.Contains(bucket) && (u.Scope == RollupScope.Key ? u.Id == keyId : u.Id == owners[keyId])))
            {
                held = storedAt;
            }
        }
        return held;
    }

    /// <summary>One rollup row a run computes.</summary>
    private readonly record struct Unit(RollupScope Scope, string Id, BillingPeriod Period);

    /// <summary>One run's progress: rollups written, failed, and those left alone because one they are summed from failed.</summary>
    private sealed class Run(UsageAggregator aggregator, CancellationToken cancellationToken)
    {
        private readonly HashSet<Unit> _blocked = [];

        public List<Unit> Failed { get; } = [];
        public int Written { get; private set; }
        public int Skipped { get; private set; }

        /// <summary>
        /// Computes and writes <paramref name="unit"/> (<paramref name="rows"/> rows) unless one it is summed from failed; on
        /// a failure other than an outage, logs it and blocks <paramref name="parents"/>. An outage or cancellation ends the run.
        /// </summary>
        public async Task TryAsync(Unit unit, Unit[] parents, int rows, Func<CancellationToken, Task> work)
        {
            if (_blocked.Contains(unit))
            {
                Skipped++;
                _blocked.UnionWith(parents);
                return;
            }
            try
            {
                await work(cancellationToken).ConfigureAwait(false);
                Written += rows;
            }
            catch (Exception e) when (!TableStorage.IsOutage(e) && e is not OperationCanceledException)
            {
                Failed.Add(unit);
                _blocked.UnionWith(parents);
                if (Failed.Count <= MaxFailuresLogged)
                {
                    var reason = e is RequestFailedException r ? $"{r.Status} {r.ErrorCode}" : e.GetType().Name;
                    var id = LogValue.Safe(unit.Id);
                    if (aggregator._failedLastRun.Contains(unit))
                    {
                        LogRollupFailedAgain(aggregator._logger, unit.Scope, id, unit.Period.Key, reason);
                    }
                    else
                    {
                        LogRollupFailed(aggregator._logger, unit.Scope, id, unit.Period.Key, reason);
                    }
                }
            }
        }
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information,
        Message = "Usage aggregation: {Pages} pages read, {KeyBuckets} key buckets and {KeyHours} key hours recomputed, {Rollups} rollups written, {Failed} not; watermark {Watermark:o}")]
    private static partial void LogRun(ILogger logger, int pages, int keyBuckets, int keyHours, int rollups, int failed, DateTimeOffset watermark);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "Usage aggregation: the {Scope} rollup {Id} {Period} could not be written ({Reason}); the rollups above it keep their last figures and the watermark stops before its usage, so every run tries it again and nothing is lost. Other keys and owners are rolled up as usual. If this repeats, see 'Rollup could not be written' in docs/operations.md")]
    private static partial void LogRollupFailed(ILogger logger, RollupScope scope, string id, string period, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Usage aggregation: the {Scope} rollup {Id} {Period} failed again ({Reason})")]
    private static partial void LogRollupFailedAgain(ILogger logger, RollupScope scope, string id, string period, string reason);
}
