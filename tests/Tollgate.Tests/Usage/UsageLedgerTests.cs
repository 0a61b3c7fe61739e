using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Storage;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.Usage;

/// <summary>The ledger through the Table SDK into Azurite: packing into pages, idempotent retries, capacity.</summary>
public sealed class UsageLedgerTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static UsageRecord Record(string id, string key = "k1", DateTimeOffset? at = null) => new()
    {
        RequestId = id,
        KeyId = key,
        Owner = "o",
        RequestedModel = "m",
        PromptTokens = 10,
        CompletionTokens = 5,
        Source = UsageSource.Reported,
        Status = 200,
        StartedAt = at ?? new DateTimeOffset(2026, 11, 22, 10, 3, 0, TimeSpan.Zero),
        CompletedAt = (at ?? new DateTimeOffset(2026, 11, 22, 10, 3, 0, TimeSpan.Zero)).AddMilliseconds(250),
    };

    private static string Id(int i) => $"req_{i:x24}";

    private static TableUsageLedger CreateLedger(TableStorage storage, int capacity = 1000) => new(
        storage,
        Options.Create(new UsageLedgerOptions { BufferCapacity = capacity, FlushInterval = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(500) }),
        TimeProvider.System,
        NullLogger<TableUsageLedger>.Instance);

    private static async Task WriteAllAsync(TableUsageLedger ledger, IEnumerable<UsageRecord> records)
    {
        await ledger.StartAsync(Ct);
        foreach (var record in records)
        {
            Assert.True(ledger.TryReserve());
            ledger.Record(record);
        }
        await ledger.StopAsync(Ct);
        Assert.Equal(0, ledger.Outstanding);
        await ledger.DisposeAsync();
    }

    [Fact]
    public async Task WriteThatLandedButLostItsAnswer_IsRetried_AndNothingIsDoubledOrLost()
    {
        // Every transaction reaches Azurite, but the first three answers are lost: the SDK's own retries and then
        // the ledger's resend the same pages, which replace themselves.
        var handler = new StorageHandler { LoseBatchAnswers = 3 };
        var storage = azurite.CreateStorage(azurite.UniquePrefix(), handler);
        var records = Enumerable.Range(0, 30).Select(i => Record(Id(i))).ToList();

        await WriteAllAsync(CreateLedger(storage), records);

        Assert.True(handler.LoseBatchAnswers < 0, "no answer was lost; the test would prove nothing");
        var stored = await TableRows.ReadUsageAsync(storage.Usage);
        Assert.Equal(records.Select(r => r.RequestId).Order(), stored.Select(r => r.RequestId).Order());
    }

    [Fact]
    public async Task Reservations_AreBoundedByCapacity_AndReleasedWhenWritten()
    {
        var ledger = CreateLedger(azurite.CreateStorage(azurite.UniquePrefix()), capacity: 3);
        await ledger.StartAsync(Ct);
        Assert.True(ledger.TryReserve());
        Assert.True(ledger.TryReserve());
        Assert.True(ledger.TryReserve());
        Assert.False(ledger.TryReserve());

        ledger.Record(Record(Id(1)));
        ledger.Record(Record(Id(2)));
        ledger.Record(Record(Id(3)));
        for (var i = 0; i < 100 && ledger.Outstanding > 0; i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Equal(0, ledger.Outstanding);
        Assert.True(ledger.TryReserve());
        await ledger.StopAsync(Ct);
        await ledger.DisposeAsync();
    }

    [Fact]
    public async Task Records_ArePackedOnePagePerKeyAndBucket()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        // 3 keys × 12 minutes = 3 keys × 3 five-minute buckets (10:00, 10:05, 10:10).
        var records = Enumerable.Range(0, 750)
            .Select(i => Record(Id(i), key: "k" + (i % 3), at: new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero).AddMinutes(i / 3 % 12)))
            .ToList();

        await WriteAllAsync(CreateLedger(storage, capacity: 5000), records);

        var pages = await TableRows.ReadAllAsync(storage.Usage);
        Assert.Equal(9, pages.Count);
        Assert.Equal(9, pages.Select(p => p.PartitionKey).Distinct().Count());
        Assert.All(pages, p => Assert.Matches("^20261122(1000|1005|1010)_k[012]$", p.PartitionKey));
        var stored = pages.SelectMany(UsagePage.Records).ToList();
        Assert.Equal(records.Select(r => r.RequestId).Order(), stored.Select(r => r.RequestId).Order());
        Assert.All(pages, p => Assert.Equal(p.GetInt32("Count"), UsagePage.Records(p).Count));
        Assert.All(pages, p => Assert.All(UsagePage.Records(p), r => Assert.Equal(p.GetString("KeyId"), r.KeyId)));
    }

    [Fact]
    public async Task HotKey_FillsPagesUpToTheBinaryPropertyLimit()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        var records = Enumerable.Range(0, 4000).Select(i => Record(Id(i), key: "hot")).ToList();

        await WriteAllAsync(CreateLedger(storage, capacity: 5000), records);

        var pages = await TableRows.ReadAllAsync(storage.Usage);
        Assert.InRange(pages.Count, 2, 10); // thousands of records, a handful of entities
        Assert.All(pages, p => Assert.InRange(p.GetBinary("Records").Length, 1, UsagePage.MaxRecordBytes));
        Assert.Equal(records.Select(r => r.RequestId).Order(), pages.SelectMany(UsagePage.Records).Select(r => r.RequestId).Order());
    }

    [Theory]
    [InlineData("2024-02-29T23:59:59.999Z", "202402292355")]
    [InlineData("2026-12-31T23:59:59Z", "202612312355")]
    [InlineData("2027-01-01T00:00:00Z", "202701010000")]
    [InlineData("2026-11-22T10:04:59+02:00", "202611220800")]
    public void Buckets_AreFiveMinuteUtcFloors(string time, string bucket) =>
        Assert.Equal(bucket, UsagePage.Bucket(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("key-main", "key-main")]
    [InlineData("a/b", null)]
    [InlineData("x'y", null)]
    [InlineData("", null)]
    public void KeyIdsInPartitionKeys_AreSafe(string keyId, string? expected)
    {
        var safe = UsagePage.SafeKeyId(keyId);
        if (expected is not null)
        {
            Assert.Equal(expected, safe);
        }
        else
        {
            Assert.Matches("^h[0-9a-f]{16}$", safe);
        }
    }
}
