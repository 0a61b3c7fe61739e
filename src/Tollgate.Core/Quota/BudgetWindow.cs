using System.Globalization;
using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>
/// One period of a budget in UTC: a calendar month (<c>M202611</c>), a day (<c>D20261123</c>), an ISO week from Monday
/// (<c>W20261123</c>, named by its Monday), or the credit that never ends (<c>C</c>); for rate limits, a clock minute
/// (<c>m202611231405</c>, lower case so that no budget window's key starts like it).
/// </summary>
public readonly record struct BudgetWindow(BudgetPeriod Period, DateTimeOffset Start, DateTimeOffset? End, string Key)
{
    public static BudgetWindow Of(BudgetPeriod period, DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        var day = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        switch (period)
        {
            case BudgetPeriod.Day:
                return new BudgetWindow(period, day, day.AddDays(1), "D" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            case BudgetPeriod.Week:
                var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
                return new BudgetWindow(period, monday, monday.AddDays(7), "W" + monday.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            case BudgetPeriod.Minute:
                var minute = new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, TimeSpan.Zero);
                return new BudgetWindow(period, minute, minute.AddMinutes(1), MinuteKey(minute));
            case BudgetPeriod.Credit:
                return new BudgetWindow(period, DateTimeOffset.MinValue, null, "C");
            default:
                var month = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
                return new BudgetWindow(BudgetPeriod.Month, month, month.AddMonths(1), "M" + month.ToString("yyyyMM", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The key of the minute window that starts at <paramref name="minute"/> (whole minutes, UTC).</summary>
    public static string MinuteKey(DateTimeOffset minute) => "m" + minute.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    /// <summary>The window has ended by <paramref name="now"/> (a credit never does).</summary>
    public bool HasEnded(DateTimeOffset now) => End is { } end && now >= end;

    /// <summary>"resets at 2026-12-01T00:00:00Z" or "does not reset", for messages.</summary>
    public string ResetText => End is { } end
        ? "resets at " + end.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        : "is a credit that does not reset";
}
