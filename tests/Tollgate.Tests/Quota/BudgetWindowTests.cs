using Tollgate.Keys;
using Tollgate.Quota;

namespace Tollgate.Tests.Quota;

public sealed class BudgetWindowTests
{
    private static DateTimeOffset Utc(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, TimeSpan.Zero);

    [Fact]
    public void AMonth_RunsFromItsFirstSecond_ToTheNextMonthsFirst_AcrossALeapDayAndTheYearsEnd()
    {
        var february = BudgetWindow.Of(BudgetPeriod.Month, Utc(2028, 2, 29, 23, 59, 59));
        Assert.Equal(("M202802", Utc(2028, 2, 1), Utc(2028, 3, 1)), (february.Key, february.Start, february.End!.Value));

        var lastTick = BudgetWindow.Of(BudgetPeriod.Month, Utc(2026, 12, 31, 23, 59, 59).AddTicks(9_999_999));
        Assert.Equal("M202612", lastTick.Key);
        Assert.Equal("M202701", BudgetWindow.Of(BudgetPeriod.Month, Utc(2027, 1, 1)).Key);
        Assert.True(lastTick.HasEnded(Utc(2027, 1, 1)));
        Assert.False(lastTick.HasEnded(Utc(2026, 12, 31, 23, 59, 59)));
    }

    [Fact]
    public void ADay_AndAWeek_AreUtc_AndAWeekStartsOnMonday()
    {
        // 2026-11-22 is a Sunday: its week began on Monday the 16th.
        var sunday = BudgetWindow.Of(BudgetPeriod.Week, Utc(2026, 11, 22, 23, 59, 59));
        Assert.Equal(("W20261116", Utc(2026, 11, 16), Utc(2026, 11, 23)), (sunday.Key, sunday.Start, sunday.End!.Value));
        Assert.Equal("W20261123", BudgetWindow.Of(BudgetPeriod.Week, Utc(2026, 11, 23)).Key);
        // A week across the year's end keeps its Monday's name.
        Assert.Equal("W20261228", BudgetWindow.Of(BudgetPeriod.Week, Utc(2027, 1, 3, 12)).Key);

        // Local time does not move the window: 01:00 at +02:00 is still the previous UTC day.
        var local = BudgetWindow.Of(BudgetPeriod.Day, new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.FromHours(2)));
        Assert.Equal(("D20261123", Utc(2026, 11, 24)), (local.Key, local.End!.Value));
    }

    [Fact]
    public void ACredit_NeverEnds()
    {
        var credit = BudgetWindow.Of(BudgetPeriod.Credit, Utc(2026, 11, 23));
        Assert.Equal("C", credit.Key);
        Assert.Null(credit.End);
        Assert.False(credit.HasEnded(DateTimeOffset.MaxValue));
        Assert.Equal(credit, BudgetWindow.Of(BudgetPeriod.Credit, Utc(2099, 1, 1)));
    }
}
