namespace Tollgate.Quota;

/// <summary>
/// What one request reserved against its key's and its owner's budgets, settled to its real cost when it ends.
/// <see cref="OverScopes"/>: soft budgets it was served over, for the response's warning header.
/// </summary>
public sealed class BudgetHold
{
    internal Reservation? KeyReservation { get; set; }

    internal Reservation? OwnerReservation { get; set; }

    /// <summary>Soft budgets the request was served over: <c>key</c>, <c>owner</c> or both; null when none.</summary>
    public string? OverScopes { get; internal set; }

    /// <summary>Nothing is reserved, so there is nothing to settle.</summary>
    public bool IsEmpty => KeyReservation is null && OwnerReservation is null;
}
