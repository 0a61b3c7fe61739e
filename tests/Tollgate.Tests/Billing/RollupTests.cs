using Azure.Data.Tables;
using Tollgate.Billing;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.Billing;

/// <summary>A rollup's breakdown by model stays bounded whatever model names clients send, and its totals stay exact.</summary>
public sealed class RollupTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly BillingPeriod Month = BillingPeriod.Of(PeriodKind.Month, new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// 100,000 requests, each naming its own model of 128 characters (control characters, quotes and non-ASCII text, which JSON
    /// escapes to six characters each), and among them 30 requests of three real, priced models.
    /// </summary>
    private static List<UsageRecord> Flood(int seed)
    {
        var random = new Random(seed);
        var records = new List<UsageRecord>(100_030);
        for (var i = 0; i < 100_000; i++)
        {
            var name = i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + new string((char)(1 + i % 30), 60) + "\"é\u2028" + new string('x', 200);
            records.Add(Record($"req_flood{i:x8}", name, cost: 0m, tokens: random.Next(0, 50), start: Month.Start.AddSeconds(i)));
        }
        for (var i = 0; i < 30; i++)
        {
            records.Add(Record($"req_real{i:x8}", new[] { "gpt-4o", "gpt-4o-mini", "o3" }[i % 3], cost: 0.001m * (i + 1), tokens: 100 + i, start: Month.Start.AddMinutes(i)));
        }
        return records;
    }

    private static UsageRecord Record(string id, string model, decimal cost, long tokens, DateTimeOffset start) => new()
    {
        RequestId = id,
        KeyId = "k-flood",
        Owner = "team-flood",
        RequestedModel = model,
        StartedAt = start,
        CompletedAt = start,
        Outcome = cost > 0 ? RequestOutcome.Completed : RequestOutcome.Rejected,
        PromptTokens = tokens,
        CompletionTokens = tokens / 2,
        Cost = cost,
    };

    private static void AssertLinesAddUpToTheTotal(Rollup rollup)
    {
        var sum = new UsageTotals();
        foreach (var totals in rollup.Models.Values)
        {
            sum.Add(totals);
        }
        Assert.Equivalent(rollup.Total, sum, strict: true);
    }

    [Fact]
    public async Task RecordsSummedAsTheyAreRead_CountEachRequestOnce_ByItsExactId()
    {
        // Tollgate's ids, a host's, ids that differ only in the case of a hex digit, and every one of them stored twice.
        var records = new List<UsageRecord>();
        for (var i = 0; i < 3000; i++)
        {
            var id = (i % 3) switch { 0 => $"req_{i:x24}", 1 => $"req_{i:X24}", _ => $"host-{i}" };
            records.Add(Record(id, "gpt-4o", cost: 0.001m, tokens: 10, start: Month.Start.AddSeconds(i)));
        }
        records.Add(Record("req_" + new string('0', 20) + "abcd", "gpt-4o", cost: 0.001m, tokens: 10, start: Month.Start));
        records.Add(Record("req_" + new string('0', 20) + "ABCD", "gpt-4o", cost: 0.001m, tokens: 10, start: Month.Start));
        records.AddRange(records.ToList());
        records.Add(Record("req_" + new string('f', 24), "gpt-4o", cost: 0.5m, tokens: 7, start: Month.End)); // outside the period

        var summed = await Rollup.FromRecordsAsync(RollupScope.Key, "k", Month, records.ToAsyncEnumerable(), Ct);

        Assert.Equal(3002, summed.Total.Requests);
        Assert.Equal(3.002m, summed.Total.Cost);
        Assert.Equivalent(Rollup.FromRecords(RollupScope.Key, "k", Month, records).Total, summed.Total, strict: true);
    }

    [Fact]
    public void AHundredThousandModelNames_KeepAtMostMaxModelsLines_TheDearestFirst_WithExactTotals_WhateverTheOrder()
    {
        var records = Flood(1);

        var rollup = Rollup.FromRecords(RollupScope.Key, "k-flood", Month, records);

        Assert.Equal(Rollup.MaxModels, rollup.Models.Count);
        Assert.True(rollup.Models.Keys.All(m => m.Length <= Rollup.MaxModelLength));
        // The three models that cost something are kept; the rest of the flood is one line.
        Assert.All(["gpt-4o", "gpt-4o-mini", "o3"], m => Assert.Equal(10, rollup.Models[m].Requests));
        Assert.Equal(100_000 - (Rollup.MaxModels - 4), rollup.Models[Rollup.OtherModels].Requests);
        Assert.Equal(100_030, rollup.Total.Requests);
        Assert.Equal(records.Sum(r => r.Cost), rollup.Total.Cost);
        Assert.Equal(records.Sum(r => r.PromptTokens), rollup.Total.PromptTokens);
        AssertLinesAddUpToTheTotal(rollup);

        // The same records in another order give the same lines (ties broken by name, not by arrival).
        var again = Rollup.FromRecords(RollupScope.Key, "k-flood", Month, records.OrderBy(_ => Random.Shared.Next()));
        Assert.Equal(rollup.Models.Keys, again.Models.Keys);
        Assert.Equivalent(rollup.Models, again.Models, strict: true);
    }

    [Fact]
    public void SumsOfCappedParts_StayCapped_AndExact()
    {
        var records = Flood(2);
        var days = records.GroupBy(r => BillingPeriod.Of(PeriodKind.Day, r.StartedAt))
            .Select(g => Rollup.FromRecords(RollupScope.Key, "k-flood", g.Key, g)).ToList();
        Assert.True(days.Count > 1);

        var month = Rollup.Sum(RollupScope.Key, "k-flood", Month, days);

        Assert.Equal(Rollup.MaxModels, month.Models.Count);
        Assert.Equal(100_030, month.Total.Requests);
        Assert.Equal(records.Sum(r => r.Cost), month.Total.Cost);
        AssertLinesAddUpToTheTotal(month);
        Assert.Equivalent(month, Rollup.Sum(RollupScope.Key, "k-flood", Month, Enumerable.Reverse(days)), strict: true);
    }

    [Fact]
    public async Task ACappedRollupOfTheWorstNames_RoundTripsThroughTableStorage_UnderItsPropertyAndEntityLimits()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        var store = new RollupStore(storage);
        var rollup = Rollup.FromRecords(RollupScope.Key, "k-flood", Month, Flood(3));

        await store.WriteAsync(rollup, Ct);
        var read = await store.GetAsync(RollupScope.Key, "k-flood", Month, Ct);

        Assert.NotNull(read);
        Assert.Equivalent(rollup.Total, read.Total, strict: true);
        Assert.Equal(rollup.Models.Keys, read.Models.Keys);
        Assert.Equivalent(rollup.Models, read.Models, strict: true);

        // The models' JSON took several properties, each under 64 KiB, and the row is far under 1 MiB and 255 properties.
        var row = Assert.Single(await TableRows.ReadAllAsync(storage.Rollups));
        var strings = ((IDictionary<string, object>)row).Values.OfType<string>().ToList();
        Assert.True(row.Keys.Count(k => k.StartsWith("Models", StringComparison.Ordinal)) > 1);
        Assert.All(strings, s => Assert.True(s.Length * 2 <= 64 * 1024));
        Assert.True(row.Count < 255);
        Assert.True(strings.Sum(s => s.Length * 2) < 1024 * 1024 / 2);
        AssertLinesAddUpToTheTotal(read);
    }

    [Fact]
    public async Task AnOldRow_WithItsModelsInOneProperty_StillReads()
    {
        var storage = azurite.CreateStorage(azurite.UniquePrefix());
        await storage.Rollups.CreateIfNotExistsAsync(Ct);
        await storage.Rollups.UpsertEntityAsync(new TableEntity(RollupStore.PartitionKey(RollupScope.Key, "k-old"), Month.Key)
        {
            ["Period"] = Month.Key,
            ["Requests"] = 2L,
            ["Cost"] = "0.5",
            ["Models"] = """{"gpt-4o":{"requests":2,"cost":0.5}}""",
        }, TableUpdateMode.Replace, Ct);

        var read = await new RollupStore(storage).GetAsync(RollupScope.Key, "k-old", Month, Ct);

        Assert.Equal(0.5m, Assert.Single(read!.Models).Value.Cost);
    }
}
