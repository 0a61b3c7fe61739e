using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>
/// The window of each period that contains now, made once per window rather than once per request (budgets and rate
/// limits both ask on every request). Thread-safe: a window is replaced whole, and two threads making the same one agree.
/// </summary>
internal sealed class CurrentWindows
{
    private readonly WindowBox?[] _windows = new WindowBox?[Enum.GetValues<BudgetPeriod>().Length];

    public BudgetWindow At(BudgetPeriod period, DateTimeOffset now)
    {
        var index = (int)period;
        if (_windows[index] is { } box && now >= box.Window.Start && !box.Window.HasEnded(now))
        {
            return box.Window;
        }
        var window = BudgetWindow.Of(period, now);
        _windows[index] = new WindowBox(window);
        return window;
    }

    private sealed record WindowBox(BudgetWindow Window);
}
