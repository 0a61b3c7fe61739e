using Tollgate.Billing;

namespace Tollgate.Tests.Billing;

public sealed class BillingPeriodTests
{
    [Theory]
    [InlineData("2026-11-30T23:59:59.9999999Z", "H2026113023", "D20261130", "M202611")]
    [InlineData("2026-12-01T00:00:00Z", "H2026120100", "D20261201", "M202612")]
    [InlineData("2028-02-29T12:30:00Z", "H2028022912", "D20280229", "M202802")]
    [InlineData("2026-12-31T23:59:59.9999999Z", "H2026123123", "D20261231", "M202612")]
    [InlineData("2027-01-01T00:00:00Z", "H2027010100", "D20270101", "M202701")]
    // A local time is placed by its UTC instant: 00:30 at +02:00 is 22:30 the day before.
    [InlineData("2026-12-01T00:30:00+02:00", "H2026113022", "D20261130", "M202611")]
    public void AnInstant_FallsInItsUtcHourDayAndMonth(string at, string hour, string day, string month)
    {
        var time = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        var bucket = BillingPeriod.Of(PeriodKind.Bucket, time);
        Assert.True(bucket.Contains(time) && bucket.Start.Minute % 5 == 0 && bucket.End - bucket.Start == TimeSpan.FromMinutes(5));
        Assert.Equal(hour, bucket.Parent!.Value.Key);
        Assert.Equal(hour, BillingPeriod.Of(PeriodKind.Hour, time).Key);
        Assert.Equal(day, BillingPeriod.Of(PeriodKind.Day, time).Key);
        Assert.Equal(month, BillingPeriod.Of(PeriodKind.Month, time).Key);
    }

    [Fact]
    public void Ends_AreExclusive_AndMonthsHaveTheirOwnLength()
    {
        var feb = BillingPeriod.Of(PeriodKind.Month, new DateTimeOffset(2028, 2, 10, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero), feb.End);
        Assert.True(feb.Contains(new DateTimeOffset(2028, 2, 29, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999)));
        Assert.False(feb.Contains(feb.End));
        Assert.True(feb.Contains(feb.Start));
    }

    [Fact]
    public void Parents_AndKeys_RoundTrip()
    {
        var bucket = BillingPeriod.Of(PeriodKind.Bucket, new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero));
        Assert.Equal("B202612312355", bucket.Key);
        Assert.True(BillingPeriod.TryParse(bucket.Key, out var parsedBucket) && parsedBucket == bucket);
        Assert.False(BillingPeriod.TryParse("B202612312357", out _)); // not on a 5-minute boundary
        var hour = BillingPeriod.Of(PeriodKind.Hour, new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero));
        Assert.Equal("D20261231", hour.Parent!.Value.Key);
        Assert.Equal("M202612", hour.Parent!.Value.Parent!.Value.Key);
        Assert.Null(hour.Parent!.Value.Parent!.Value.Parent);
        foreach (var period in new[] { hour, hour.Parent.Value, hour.Parent.Value.Parent.Value })
        {
            Assert.True(BillingPeriod.TryParse(period.Key, out var back));
            Assert.Equal(period, back);
        }
        Assert.False(BillingPeriod.TryParse("X2026", out _));
        Assert.False(BillingPeriod.TryParse("H20261232", out _));
    }
}
