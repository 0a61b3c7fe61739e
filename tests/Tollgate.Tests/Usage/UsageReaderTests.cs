using Tollgate.Storage;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.Usage;

/// <summary>Reading records back out of the ledger's pages in Azurite.</summary>
public sealed class UsageReaderTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static Task WriteAsync(TableStorage storage, IEnumerable<UsageRecord> records) => LedgerWriter.WriteAsync(storage, records);

    [Fact]
    public async Task OneKeysRange_IsReadInPages_NewestFirst_EachRecordOnce_AcrossPageEntities()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        // k1: one record a minute for 30 minutes (6 buckets); k2 interleaved, never returned for k1.
        var mine = Enumerable.Range(0, 30).Select(i => UsageLedgerTests.Record($"req_{i:x24}", "k1", T0.AddMinutes(i))).ToList();
        var theirs = Enumerable.Range(100, 30).Select(i => UsageLedgerTests.Record($"req_{i:x24}", "k2", T0.AddMinutes(i - 100))).ToList();
        await WriteAsync(storage, mine.Concat(theirs));
        var reader = new UsageReader(storage);

        var seen = new List<string>();
        string? token = null;
        var calls = 0;
        do
        {
            var (records, next) = await reader.ReadAsync("k1", T0.AddMinutes(2), T0.AddMinutes(27), 4, token, Ct);
            Assert.InRange(records.Count, 1, 4);
            seen.AddRange(records.Select(r => r.RequestId));
            token = next;
            calls++;
        }
        while (token is not null);

        // Minutes 26 down to 2 inclusive: 25 records, newest first, in pages of 4.
        Assert.Equal(mine.Skip(2).Take(25).Select(r => r.RequestId).Reverse(), seen);
        Assert.Equal(7, calls);
    }

    [Fact]
    public async Task ASparseRange_IsReadNewestFirst_ThroughEmptyDays_AndRecordsSharingAStart_AreEachReturnedOnce()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        // Three records at one instant (ties broken by request id), then nothing for ten days, then two more.
        var records = new[]
        {
            UsageLedgerTests.Record("req_000000000000000000000001", "k1", T0),
            UsageLedgerTests.Record("req_000000000000000000000003", "k1", T0),
            UsageLedgerTests.Record("req_000000000000000000000002", "k1", T0),
            UsageLedgerTests.Record("req_000000000000000000000004", "k1", T0.AddDays(10)),
            UsageLedgerTests.Record("req_000000000000000000000005", "k1", T0.AddDays(10).AddMinutes(3)),
        };
        await WriteAsync(storage, records);
        var reader = new UsageReader(storage);

        var pages = new List<IReadOnlyList<string>>();
        string? token = null;
        do
        {
            var (page, next) = await reader.ReadAsync("k1", T0.AddDays(-30), T0.AddDays(30), 2, token, Ct);
            pages.Add(page.Select(r => r.RequestId).ToList());
            token = next;
        }
        while (token is not null && pages.Count < 10);

        Assert.Null(token);
        Assert.Equal(
            ["req_000000000000000000000005", "req_000000000000000000000004", "req_000000000000000000000003", "req_000000000000000000000002", "req_000000000000000000000001"],
            pages.SelectMany(p => p));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(2, p.Count));
    }

    [Fact]
    public async Task AForgedContinuationToken_IsRefused()
    {
        var reader = new UsageReader(azurite.CreateStorage(azurite.UniquePrefix()));
        await Assert.ThrowsAsync<ArgumentException>(() => reader.ReadAsync("k1", T0, T0.AddHours(1), 10, "not a token!", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => reader.ReadAsync("k1", T0, T0.AddHours(1), 10, PageToken.Encode("a\nb"), Ct));
    }

    [Fact]
    public async Task PagesStoredSinceAWatermark_AreFound_IncludingLateRecordsForOldBuckets()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        var reader = new UsageReader(storage);
        await WriteAsync(storage, [UsageLedgerTests.Record("req_000000000000000000000001", "k1", T0)]);
        var first = await reader.ReadStoredSinceAsync(T0.AddDays(-1), DateTimeOffset.MinValue, Ct).ToListAsync(Ct);
        // Azurite compares timestamps to the millisecond (Azure to the tick): the watermark is the next millisecond.
        var watermark = first.Single().StoredAt.AddMilliseconds(1);

        // Then: a new record, and a late one for a bucket the first write already covered.
        await WriteAsync(storage, [
            UsageLedgerTests.Record("req_000000000000000000000002", "k1", T0.AddMinutes(7)),
            UsageLedgerTests.Record("req_000000000000000000000003", "k1", T0.AddMinutes(1)),
        ]);

        var since = await reader.ReadStoredSinceAsync(T0.AddDays(-1), watermark, Ct).ToListAsync(Ct);
        Assert.Equal(["req_000000000000000000000002", "req_000000000000000000000003"], since.SelectMany(p => p.Records).Select(r => r.RequestId).Order());
        Assert.All(since, p => Assert.True(p.StoredAt >= watermark));
    }
}
