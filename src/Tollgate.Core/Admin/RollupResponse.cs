using Tollgate.Billing;

namespace Tollgate.Admin;

/// <summary>One period's rollup as the admin API shows it: the totals, and per model.</summary>
public sealed record RollupResponse(string Period, DateTimeOffset Start, DateTimeOffset End, UsageTotals Total, IReadOnlyDictionary<string, UsageTotals> Models)
{
    public static RollupResponse From(Rollup r) => new(r.Period.Kind.ToString().ToLowerInvariant(), r.Period.Start, r.Period.End, r.Total, r.Models);
}
