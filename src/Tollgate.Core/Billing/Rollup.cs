using Tollgate.Usage;

namespace Tollgate.Billing;

/// <summary>Whose usage a rollup sums: one key's, or every key of one owner.</summary>
public enum RollupScope
{
    Key,
    Owner,
}

/// <summary>
/// One key's or owner's usage in one period: totals and the same figures by model (the model clients asked for).
/// Always computed from what it sums (records, or the rollups of the periods inside it), never added to.
/// </summary>
public sealed class Rollup
{
    public required RollupScope Scope { get; init; }

    /// <summary>The key id or the owner.</summary>
    public required string Id { get; init; }

    public required BillingPeriod Period { get; init; }

    /// <summary>The key's owner (for an owner's rollup, the owner).</summary>
    public string Owner { get; set; } = "";

    public UsageTotals Total { get; init; } = new();

    public SortedDictionary<string, UsageTotals> Models { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Sums records, each request once however many times it was stored (a replayed page, a retried write).</summary>
    public static Rollup FromRecords(RollupScope scope, string id, BillingPeriod period, IEnumerable<UsageRecord> records)
    {
        var rollup = new Rollup { Scope = scope, Id = id, Period = period, Owner = scope == RollupScope.Owner ? id : "" };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (!period.Contains(record.StartedAt) || !seen.Add(record.RequestId))
            {
                continue;
            }
            if (rollup.Owner.Length == 0)
            {
                rollup.Owner = record.Owner;
            }
            rollup.Total.Add(record);
            rollup.ModelTotals(record.RequestedModel).Add(record);
        }
        return rollup;
    }

    /// <summary>Sums rollups of the periods (or keys) inside <paramref name="period"/>.</summary>
    public static Rollup Sum(RollupScope scope, string id, BillingPeriod period, IEnumerable<Rollup> parts)
    {
        var rollup = new Rollup { Scope = scope, Id = id, Period = period, Owner = scope == RollupScope.Owner ? id : "" };
        foreach (var part in parts)
        {
            if (rollup.Owner.Length == 0)
            {
                rollup.Owner = part.Owner;
            }
            rollup.Total.Add(part.Total);
            foreach (var (model, totals) in part.Models)
            {
                rollup.ModelTotals(model).Add(totals);
            }
        }
        return rollup;
    }

    private UsageTotals ModelTotals(string model)
    {
        if (!Models.TryGetValue(model, out var totals))
        {
            totals = new UsageTotals();
            Models.Add(model, totals);
        }
        return totals;
    }
}
