namespace Tollgate.Quota;

/// <summary>
/// A shared account as stored: <see cref="Spent"/> is what instances reported as spent; <see cref="Held"/> is what
/// their leases hold (reservations of requests in flight and unused allowances). What is left of a budget is its
/// limit less both. <see cref="Warned"/>: the budget being used up has been logged in this window.
/// </summary>
public sealed record AccountState(QuotaAmount Spent, QuotaAmount Held, bool Warned)
{
    public static readonly AccountState Empty = new(QuotaAmount.Zero, QuotaAmount.Zero, false);
}
