using Tollgate.Diagnostics;
using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>Budget events on the shared <see cref="TollgateMetrics"/> meter, in its tag values.</summary>
internal static class BudgetMetrics
{
    /// <summary>A request met a budget that is used up: <paramref name="served"/> under a soft budget, refused under a hard one.</summary>
    public static void BudgetExceeded(this TollgateMetrics metrics, BudgetScope scope, BudgetMode mode, bool served) =>
        metrics.BudgetExceeded(scope == BudgetScope.Key ? "key" : "owner", mode == BudgetMode.Hard ? "hard" : "soft", served);
}
