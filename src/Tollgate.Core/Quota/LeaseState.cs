namespace Tollgate.Quota;

/// <summary>
/// One instance's lease on an account as stored: what it holds there now, and what it has reported as spent in all
/// (so a report sent twice is counted once).
/// </summary>
public readonly record struct LeaseState(QuotaAmount Held, QuotaAmount Reported);
