using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Billing;
using Tollgate.Storage;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.Billing;

/// <summary>Rollups against a direct sum of the raw records, in Azurite, through the ledger's own pages.</summary>
public sealed class UsageAggregatorTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The last hours of a leap-year February into March, so hours, days and a month all change.
    private static readonly DateTimeOffset T0 = new(2028, 2, 28, 22, 0, 0, TimeSpan.Zero);
    private static readonly string[] Keys = ["k-a1", "k-a2", "k-b1"];
    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "o3"];

    private static string OwnerOf(string key) => key.StartsWith("k-a", StringComparison.Ordinal) ? "team a/one" : "team-b";

    private static List<UsageRecord> RandomRecords(int seed, int count, DateTimeOffset from, TimeSpan span)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var key = Keys[random.Next(Keys.Length)];
            var prompt = random.Next(0, 5000);
            var completion = random.Next(0, 2000);
            return new UsageRecord
            {
                // Mostly Tollgate's own id format, some a host's; two that differ only in case are two requests.
                RequestId = (i % 5) switch { 0 => $"fn-{seed}-{i}", 1 => $"req_{seed:X8}{i:x16}", _ => $"req_{seed:x8}{i:x16}" },
                KeyId = key,
                Owner = OwnerOf(key),
                RequestedModel = Models[random.Next(Models.Length)],
                StartedAt = from + TimeSpan.FromTicks((long)(random.NextDouble() * span.Ticks)),
                CompletedAt = from + span,
                Outcome = random.Next(10) == 0 ? RequestOutcome.UpstreamError : RequestOutcome.Completed,
                PromptTokens = prompt,
                CachedTokens = random.Next(0, prompt + 1),
                CompletionTokens = completion,
                ReasoningTokens = random.Next(0, completion + 1),
                Cost = Math.Round((decimal)random.NextDouble(), random.Next(0, 12)),
                Unpriced = random.Next(20) == 0,
                Source = UsageSource.Reported,
            };
        }).ToList();
    }

    private static Task WriteAsync(TableStorage storage, IEnumerable<UsageRecord> records) => LedgerWriter.WriteAsync(storage, records);

    /// <param name="overlap">How far before the last run's start pages are read again (one machine's clock here, so it can be small).</param>
    private static UsageAggregator Aggregator(TableStorage storage, TimeSpan? overlap = null, CapturingLoggerProvider? logs = null) =>
        new(new UsageReader(storage), new RollupStore(storage),
            Options.Create(new BillingOptions { LateRecordWindow = TimeSpan.FromDays(3650), Overlap = overlap ?? TimeSpan.FromMinutes(2) }),
            TimeProvider.System, logs is null ? NullLogger<UsageAggregator>.Instance : new Logger<UsageAggregator>(new LoggerFactory([logs])));

    /// <summary>Every rollup there should be, from the records directly (each request once), against what is stored.</summary>
    private static async Task AssertEqualsDirectSumAsync(TableStorage storage, IReadOnlyCollection<UsageRecord> records)
    {
        var unique = records.GroupBy(r => r.RequestId).Select(g => g.First()).ToList();
        var store = new RollupStore(storage);
        var checkedRollups = 0;
        foreach (var kind in Enum.GetValues<PeriodKind>())
        {
            // Keys have 5-minute buckets too; owners start at hours.
            var owners = kind == PeriodKind.Bucket ? [] : unique.GroupBy(r => r.Owner).Select(g => (RollupScope.Owner, g.Key, g.ToList()));
            foreach (var (scope, id, group) in unique.GroupBy(r => r.KeyId).Select(g => (RollupScope.Key, g.Key, g.ToList())).Concat(owners))
            {
                var expected = group.GroupBy(r => BillingPeriod.Of(kind, r.StartedAt)).OrderBy(g => g.Key.Start).ToList();
                var stored = await store.ReadAsync(scope, id, kind, DateTimeOffset.UnixEpoch, T0.AddYears(1), Ct);
                Assert.Equal(expected.Select(g => g.Key.Key), stored.Select(r => r.Period.Key));
                foreach (var (period, actual) in expected.Zip(stored))
                {
                    var direct = Rollup.FromRecords(scope, id, period.Key, period);
                    Assert.Equivalent(direct.Total, actual.Total, strict: true);
                    Assert.Equal(direct.Models.Keys, actual.Models.Keys);
                    foreach (var (model, totals) in direct.Models)
                    {
                        Assert.Equivalent(totals, actual.Models[model], strict: true);
                    }
                    checkedRollups++;
                }
            }
        }
        Assert.True(checkedRollups > 20, $"only {checkedRollups} rollups were compared");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Rollups_EqualADirectSum_OfRandomRecords_IncludingReplayedPages(int seed)
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        var records = RandomRecords(seed, 400, T0, TimeSpan.FromHours(28));
        await WriteAsync(storage, records);
        // A replay: some records stored a second time, in pages of another writer.
        var replayed = records.Where((_, i) => i % 7 == 0).ToList();
        await WriteAsync(storage, replayed);

        var result = await Aggregator(storage).RunAsync(Ct);

        Assert.True(result.KeyHours > 10);
        Assert.True(result.KeyBuckets > result.KeyHours);
        await AssertEqualsDirectSumAsync(storage, [.. records, .. replayed]);
    }

    [Fact]
    public async Task RunsRepeated_AndRunsAtOnce_EndWithTheSameTotals()
    {
        var prefix = azurite.UniquePrefix();
        var storage = azurite.CreateStorage(prefix);
        var records = RandomRecords(11, 300, T0, TimeSpan.FromHours(30));
        await WriteAsync(storage, records);

        // Two instances at once, each with its own client, as two hosts would run them.
        await Task.WhenAll(Aggregator(azurite.CreateStorage(prefix)).RunAsync(Ct), Aggregator(azurite.CreateStorage(prefix)).RunAsync(Ct));
        await AssertEqualsDirectSumAsync(storage, records);

        await Aggregator(storage).RunAsync(Ct);
        await AssertEqualsDirectSumAsync(storage, records);
    }

    [Fact]
    public async Task RecordsStoredLate_ForHoursAlreadyRolledUp_AreCounted_AndOnlyWhatChangedIsRecomputed()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        var first = RandomRecords(21, 200, T0, TimeSpan.FromHours(26));
        await WriteAsync(storage, first);
        // Azurite stamps pages to the millisecond: let the clock pass the last one, so that with a 1 ms overlap the
        // next run re-reads only what is stored after this run began.
        await Task.Delay(20, Ct);
        var aggregator = Aggregator(storage, overlap: TimeSpan.FromMilliseconds(1));
        var initial = await aggregator.RunAsync(Ct);

        // After an outage a ledger stores records for the first hours; the next run finds them by when they were stored.
        var late = RandomRecords(22, 30, T0, TimeSpan.FromHours(2));
        await WriteAsync(storage, late);
        var next = await aggregator.RunAsync(Ct);

        await AssertEqualsDirectSumAsync(storage, [.. first, .. late]);
        Assert.InRange(next.KeyHours, 1, Keys.Length * 2);
        Assert.InRange(next.KeyBuckets, 1, late.Select(r => (r.KeyId, BillingPeriod.Of(PeriodKind.Bucket, r.StartedAt))).Distinct().Count());
        Assert.True(next.KeyBuckets < initial.KeyBuckets);
    }

    [Fact]
    public async Task ARunThatDiesHalfWay_LeavesTheWatermark_SoTheNextRunRedoesItsWork()
    {
        var prefix = azurite.UniquePrefix();
        var records = RandomRecords(31, 150, T0, TimeSpan.FromHours(5));
        await WriteAsync(azurite.CreateStorage(prefix), records);

        // The first run loses storage after a few writes.
        var failing = azurite.CreateStorage(prefix, new StorageHandler { FailAfter = 6 });
        await Assert.ThrowsAnyAsync<Exception>(() => Aggregator(failing).RunAsync(Ct));
        var store = new RollupStore(azurite.CreateStorage(prefix));
        Assert.Null((await store.ReadWatermarkAsync(Ct)).Value);

        await Aggregator(azurite.CreateStorage(prefix)).RunAsync(Ct);
        await AssertEqualsDirectSumAsync(azurite.CreateStorage(prefix), records);
        Assert.NotNull((await store.ReadWatermarkAsync(Ct)).Value);
    }

    [Fact]
    public async Task ARollupStorageRefuses_IsLoggedOnce_TheOthersAreRolledUp_AndTheWatermarkWaitsForIt()
    {
        var prefix = azurite.UniquePrefix();
        var records = RandomRecords(41, 200, T0, TimeSpan.FromHours(3));
        await WriteAsync(azurite.CreateStorage(prefix), records);
        // Storage refuses every row of key k-a2 as too large (what a row past the 64 KiB property limit got).
        var refuse = true;
        var handler = new StorageHandler(request =>
            refuse && request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.Contains("rollups(PartitionKey='key_k-a2'", StringComparison.Ordinal)
                ? new HttpResponseMessage(HttpStatusCode.BadRequest)
                {
                    RequestMessage = request,
                    Headers = { { "x-ms-error-code", "PropertyValueTooLarge" } },
                    Content = new StringContent("""{"odata.error":{"code":"PropertyValueTooLarge","message":{"lang":"en-US","value":"The property value exceeds the maximum allowed size (64KB)."}}}""",
                        System.Text.Encoding.UTF8, "application/json"),
                }
                : null);
        var logs = new CapturingLoggerProvider();
        var aggregator = Aggregator(azurite.CreateStorage(prefix, handler), logs: logs);
        var store = new RollupStore(azurite.CreateStorage(prefix));

        var before = DateTimeOffset.UtcNow;
        var first = await aggregator.RunAsync(Ct);

        // The other keys and the owner that has only them are complete; k-a2 and its owner wait.
        Assert.True(first.RollupsFailed > 0);
        var others = records.Where(r => r.KeyId != "k-a2").ToList();
        foreach (var key in new[] { "k-a1", "k-b1" })
        {
            var month = await store.GetAsync(RollupScope.Key, key, BillingPeriod.Of(PeriodKind.Month, T0), Ct);
            Assert.Equal(others.Where(r => r.KeyId == key && BillingPeriod.Of(PeriodKind.Month, T0).Contains(r.StartedAt)).Sum(r => r.Cost), month!.Total.Cost);
        }
        Assert.Empty(await store.ReadAsync(RollupScope.Key, "k-a2", PeriodKind.Bucket, DateTimeOffset.UnixEpoch, T0.AddYears(1), Ct));
        Assert.Empty(await store.ReadAsync(RollupScope.Owner, OwnerOf("k-a2"), PeriodKind.Hour, DateTimeOffset.UnixEpoch, T0.AddYears(1), Ct));
        var held = (await store.ReadWatermarkAsync(Ct)).Value;
        Assert.NotNull(held);
        Assert.True(held < before, "the watermark stops before the pages of the rollups that failed");
        var warnings = logs.Lines.Where(l => l.EventId.Id == 4102).ToList();
        Assert.NotEmpty(warnings);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.All(warnings, w => Assert.Contains("PropertyValueTooLarge", w.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Message.Contains("127.0.0.1", StringComparison.Ordinal) || l.Message.Contains("exceeds", StringComparison.Ordinal));

        // Still refused: tried again, not logged again at Warning.
        var second = await aggregator.RunAsync(Ct);
        Assert.Equal(first.RollupsFailed, second.RollupsFailed);
        Assert.Equal(warnings.Count, logs.Lines.Count(l => l.EventId.Id == 4102));
        Assert.Contains(logs.Lines, l => l.EventId.Id == 4103);

        // Fixed: the next run writes what waited, and every rollup equals the direct sum; the watermark moves on.
        refuse = false;
        var healed = await aggregator.RunAsync(Ct);
        Assert.Equal(0, healed.RollupsFailed);
        await AssertEqualsDirectSumAsync(azurite.CreateStorage(prefix), records);
        Assert.True((await store.ReadWatermarkAsync(Ct)).Value > before);
    }
}
