using Tollgate.Usage;

namespace Tollgate.Tests.Usage;

public sealed class UsageRecordCodecTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 3, 7, 123, TimeSpan.Zero);

    private static UsageRecord Full(string id, int i) => new()
    {
        RequestId = id,
        KeyId = "key-1",
        Owner = "team-ä",
        RequestedModel = "gpt-4o-mini",
        UpstreamModel = "mock@reasoning,details",
        Upstream = "mock",
        Stream = i % 2 == 0,
        PromptTokens = 1_234_567_890_123,
        CompletionTokens = i,
        CachedTokens = 3,
        ReasoningTokens = 2,
        Source = (UsageSource)(i % 4),
        Status = i % 3 == 0 ? 499 : 200,
        Outcome = (RequestOutcome)(i % 5),
        ErrorCode = i % 3 == 0 ? "client_aborted" : null,
        FinishReason = i % 3 == 0 ? null : "stop",
        TimeToFirstTokenMs = i % 2 == 0 ? 12.5 + i : null,
        DurationMs = 250.125 * i,
        Cost = i switch { 0 => 0m, 1 => 0.000000123456789012345678m, 2 => 79228162514264.337593543950335m, _ => -1.5m },
        PriceVersion = i == 0 ? null : "gpt-4o-mini/2026-11-01T00:00:00Z",
        Unpriced = i == 0,
        StartedAt = T0.AddMilliseconds(i * 7),
        CompletedAt = T0.AddMilliseconds(i * 7 + 250),
        Attempts = i,
    };

    [Fact]
    public void Records_RoundTrip_WithoutLosingAnyField()
    {
        var records = new[] { Full("req_0123456789abcdef01234567", 0), Full("not-our-format-Ünïcode", 1), Full("req_fedcba9876543210fedcba98", 2), Full("req_ABCDEF", 3) };
        var writer = new UsageRecordCodec.Writer(16);
        foreach (var record in records)
        {
            Assert.True(writer.TryAdd(record, UsagePage.MaxRecordBytes));
        }

        var back = UsageRecordCodec.Decode(writer.Written, "key-1");

        Assert.Equal(records.Length, back.Count);
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Equivalent(records[i], back[i], strict: true);
        }
    }

    [Fact]
    public void PagesOfTheFirstFormat_WithoutCosts_AreStillRead()
    {
        // Format 1: a page written before records carried costs (one record, compact id, no ttft).
        byte[] page = [1, 4 | 1 << 3, .. Convert.FromHexString("0123456789abcdef01234567"), 2, 4, 0xC8, 1, 10, 20, 0, 0, .. BitConverter.GetBytes(1.5), 1, 1, (byte)'o', 1, 1, (byte)'m', 2, 1, 1, (byte)'u', 0, 0];
        var record = Assert.Single(UsageRecordCodec.Decode(page, "k"));
        Assert.Equal(("req_0123456789abcdef01234567", 10L, 20L, "o", "m", "u"), (record.RequestId, record.PromptTokens, record.CompletionTokens, record.Owner, record.RequestedModel, record.Upstream));
        Assert.Equal((0m, null, false), (record.Cost, record.PriceVersion, record.Unpriced));
        // Before attempts were recorded, a record that reached an upstream had made one.
        Assert.Equal(1, record.Attempts);
    }

    [Fact]
    public void RecordsOutOfTimeOrder_RoundTrip()
    {
        var later = Full("req_000000000000000000000001", 1);
        var earlier = Full("req_000000000000000000000002", 2);
        earlier = new UsageRecord { RequestId = earlier.RequestId, KeyId = "key-1", StartedAt = T0.AddHours(-3), CompletedAt = T0.AddHours(-3).AddSeconds(1) };
        var writer = new UsageRecordCodec.Writer(16);
        writer.TryAdd(later, UsagePage.MaxRecordBytes);
        writer.TryAdd(earlier, UsagePage.MaxRecordBytes);
        var back = UsageRecordCodec.Decode(writer.Written, "key-1");
        Assert.Equal(earlier.StartedAt, back[1].StartedAt);
        Assert.Equal(earlier.CompletedAt, back[1].CompletedAt);
    }

    [Fact]
    public void APageThatWouldOverflow_TakesTheRecordBackOut_AndStaysDecodable()
    {
        var writer = new UsageRecordCodec.Writer(16);
        var added = 0;
        while (writer.TryAdd(Full($"req_{added:x24}", added), 2048))
        {
            added++;
        }
        Assert.InRange(writer.Length, 1, 2048);
        Assert.Equal(added, writer.Count);
        var back = UsageRecordCodec.Decode(writer.Written, "key-1");
        Assert.Equal(added, back.Count);
        Assert.Equal(Enumerable.Range(0, added).Select(i => $"req_{i:x24}"), back.Select(r => r.RequestId));
        // A record whose strings were new when it overflowed must not leave them behind as references.
        Assert.All(back, r => Assert.Equal("gpt-4o-mini", r.RequestedModel));
    }

    [Fact]
    public void ACompactRecord_TakesUnder64Bytes()
    {
        var writer = new UsageRecordCodec.Writer(16);
        for (var i = 0; i < 1000; i++)
        {
            writer.TryAdd(Full($"req_{i:x24}", i), int.MaxValue);
        }
        Assert.InRange(writer.Length / 1000.0, 20, 64);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 9 })]
    [InlineData(new byte[] { 1, 0x80 })]
    [InlineData(new byte[] { 1, 4, 1, 2 })]
    public void CorruptPages_AreRefusedClearly(byte[] data) =>
        Assert.Throws<InvalidDataException>(() => UsageRecordCodec.Decode(data, "k"));
}
