using Tollgate.Billing;

namespace Tollgate.Admin;

/// <summary>A monthly statement of a key or an owner, as JSON (its CSV form is written by <see cref="StatementCsv"/>).</summary>
public sealed record StatementResponse(
    string Scope,
    string Id,
    string Owner,
    string Month,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string Currency,
    DateTimeOffset? AsOf,
    bool Final,
    IReadOnlyList<StatementLine> Lines,
    StatementLine Total,
    IReadOnlyList<string> UnpricedModels)
{
    public static StatementResponse From(Statement s) => new(
        s.Scope.ToString().ToLowerInvariant(), s.Id, s.Owner, s.Month.Start.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
        s.Month.Start, s.Month.End, s.Currency, s.AsOf, s.IsFinal, s.Lines, s.Total, s.UnpricedModels.ToList());
}
