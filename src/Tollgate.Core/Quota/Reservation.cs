namespace Tollgate.Quota;

/// <summary>One request's reservation against one account.</summary>
internal sealed record Reservation(LocalAccount Account, QuotaAmount Amount, bool Over);
