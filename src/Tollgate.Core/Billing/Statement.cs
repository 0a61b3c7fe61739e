namespace Tollgate.Billing;

/// <summary>One model's line on a statement, its cost rounded to the currency's decimals.</summary>
public sealed record StatementLine(
    string Model,
    long Requests,
    long Errors,
    long PromptTokens,
    long CachedTokens,
    long CompletionTokens,
    long ReasoningTokens,
    decimal Cost,
    long UnpricedRequests)
{
    /// <summary>Some of the line's requests were served without a price: its cost is not the whole of what they used.</summary>
    public bool Unpriced => UnpricedRequests > 0;
}

/// <summary>
/// A key's or owner's monthly statement: one line per model, and a total that is the sum of the lines as shown. Amounts
/// are rounded once, here, half away from zero. <see cref="AsOf"/> is the aggregation's watermark: usage after it is
/// not on the statement yet, so a month is final once <see cref="AsOf"/> has passed its end.
/// </summary>
public sealed record Statement(
    RollupScope Scope,
    string Id,
    string Owner,
    BillingPeriod Month,
    string Currency,
    int Decimals,
    IReadOnlyList<StatementLine> Lines,
    StatementLine Total,
    DateTimeOffset? AsOf)
{
    public bool IsFinal => AsOf >= Month.End;

    public IEnumerable<string> UnpricedModels => Lines.Where(l => l.Unpriced).Select(l => l.Model);

    public static Statement Build(RollupScope scope, string id, BillingPeriod month, Rollup? rollup, string currency, int decimals, DateTimeOffset? asOf)
    {
        var lines = (rollup?.Models ?? []).Select(m => Line(m.Key, m.Value, decimals)).ToList();
        var total = new StatementLine("TOTAL",
            lines.Sum(l => l.Requests), lines.Sum(l => l.Errors), lines.Sum(l => l.PromptTokens), lines.Sum(l => l.CachedTokens),
            lines.Sum(l => l.CompletionTokens), lines.Sum(l => l.ReasoningTokens), lines.Sum(l => l.Cost), lines.Sum(l => l.UnpricedRequests));
        return new Statement(scope, id, rollup?.Owner ?? (scope == RollupScope.Owner ? id : ""), month, currency, decimals, lines, total, asOf);
    }

    private static StatementLine Line(string model, UsageTotals totals, int decimals) => new(
        model, totals.Requests, totals.Errors, totals.PromptTokens, totals.CachedTokens, totals.CompletionTokens, totals.ReasoningTokens,
        Math.Round(totals.Cost, decimals, MidpointRounding.AwayFromZero), totals.UnpricedRequests);
}
