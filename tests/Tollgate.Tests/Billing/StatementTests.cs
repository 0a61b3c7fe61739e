using Tollgate.Billing;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.Billing;

public sealed class StatementTests
{
    private static readonly BillingPeriod Nov = BillingPeriod.Of(PeriodKind.Month, new DateTimeOffset(2026, 11, 5, 0, 0, 0, TimeSpan.Zero));

    private static Rollup MonthOf(params (string Model, decimal Cost, bool Unpriced)[] records) =>
        Rollup.FromRecords(RollupScope.Key, "k1", Nov, records.Select((r, i) => new UsageRecord
        {
            RequestId = $"r{i}", KeyId = "k1", Owner = "team", RequestedModel = r.Model, StartedAt = Nov.Start.AddHours(i),
            Cost = r.Cost, Unpriced = r.Unpriced, PromptTokens = 10, CompletionTokens = 5, Outcome = RequestOutcome.Completed,
        }));

    [Fact]
    public void Lines_AreRoundedOnce_HalfAwayFromZero_AndTheTotalIsTheirSum()
    {
        var statement = Statement.Build(RollupScope.Key, "k1", Nov, MonthOf(("a", 0.004m, false), ("a", 0.001m, false), ("b", 0.0049m, false), ("c", 1.234999m, false)),
            "USD", 2, asOf: Nov.End.AddMinutes(5));

        Assert.Equal([("a", 0.01m), ("b", 0.00m), ("c", 1.23m)], statement.Lines.Select(l => (l.Model, l.Cost)));
        Assert.Equal(1.24m, statement.Total.Cost);
        Assert.Equal(4, statement.Total.Requests);
        Assert.True(statement.IsFinal);
    }

    [Fact]
    public void UnpricedRequests_MarkTheirLine_AndTheStatement()
    {
        var statement = Statement.Build(RollupScope.Key, "k1", Nov, MonthOf(("a", 0.5m, false), ("free", 0m, true)), "EUR", 2, asOf: Nov.Start.AddDays(3));
        Assert.Equal(["free"], statement.UnpricedModels);
        Assert.False(statement.IsFinal);
        var csv = StatementCsv.Write(statement);
        Assert.Contains("free,1,0,10,0,5,0,0.00,EUR,1,unpriced: cost unknown and not included\r\n", csv, StringComparison.Ordinal);
        Assert.EndsWith("TOTAL,2,0,20,0,10,0,0.50,EUR,1,unpriced: cost unknown and not included\r\n", csv, StringComparison.Ordinal);
    }

    [Fact]
    public void AMonthWithNoUsage_IsAnEmptyStatement_NotAnError()
    {
        var statement = Statement.Build(RollupScope.Owner, "team", Nov, null, "USD", 2, asOf: null);
        Assert.Empty(statement.Lines);
        Assert.Equal((0L, 0m), (statement.Total.Requests, statement.Total.Cost));
        Assert.Equal("team", statement.Owner);
        Assert.Equal("model,requests,errors,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,cost,currency,unpriced_requests,note\r\n"
                     + "TOTAL,0,0,0,0,0,0,0.00,USD,0,\r\n", StatementCsv.Write(statement));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@sum", "'@sum")]
    public void Fields_AreQuoted_AndNeverRunAsFormulas(string value, string expected) => Assert.Equal(expected, StatementCsv.Field(value));

    [Fact]
    public void KeyUsage_ShowsTheMonthByTheClock_WithTheBudgetLeft_NeverBelowZero()
    {
        // The last instant of a leap-year February, then the first of March.
        var clock = new ManualTimeProvider(new DateTimeOffset(2028, 2, 29, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999));
        var key = new ApiKey { Id = "k1", Owner = "team", Hash = KeyHash.Compute("tg-x"), Budget = Budget.Monthly(1m), TokensPerMinute = 1000 };
        var february = BillingPeriod.Of(PeriodKind.Month, clock.GetUtcNow());
        var rollup = Rollup.FromRecords(RollupScope.Key, "k1", february, [new UsageRecord { RequestId = "r", KeyId = "k1", RequestedModel = "m", StartedAt = february.Start, Cost = 1.25m }]);

        var window = BudgetWindow.Of(BudgetPeriod.Month, clock.GetUtcNow());
        var budget = KeyUsageHandler.DescribeBudget(BudgetScope.Key, key.Budget!, (window, new AccountState(new QuotaAmount(1.25m, 40), new QuotaAmount(0.1m, 5), false)));
        var usage = KeyUsageHandler.Describe(key, february, rollup, "USD", asOf: clock.GetUtcNow(), [budget]);

        Assert.Equal(new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero), usage.Period.ResetsAt);
        Assert.Equal(1.25m, usage.Spend);
        Assert.Equal(new BudgetUsageResponse("key", "month", "hard", february.Start, usage.Period.ResetsAt, 1m, null, 1.25m, 40, 0.1m, 5, 0m, null),
            Assert.Single(usage.Budgets));
        Assert.Equal((null, 1000L), (usage.Limits.RequestsPerMinute, usage.Limits.TokensPerMinute));
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal("M202803", BillingPeriod.Of(PeriodKind.Month, clock.GetUtcNow()).Key);
    }
}
