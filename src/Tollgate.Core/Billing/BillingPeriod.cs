using System.Globalization;

namespace Tollgate.Billing;

/// <summary>The UTC periods usage is rolled up by: 5-minute buckets (the ledger's partitions), hours, days and calendar months.</summary>
public enum PeriodKind
{
    Bucket,
    Hour,
    Day,
    Month,
}

/// <summary>One UTC period: <c>B202611230805</c> (5 minutes), <c>H2026112308</c> (an hour), <c>D20261123</c> (a day) or <c>M202611</c> (a month).</summary>
public readonly record struct BillingPeriod(PeriodKind Kind, DateTimeOffset Start)
{
    private const int BucketMinutes = Usage.UsagePage.BucketMinutes;

    public static BillingPeriod Of(PeriodKind kind, DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        var start = kind switch
        {
            PeriodKind.Bucket => new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute - utc.Minute % BucketMinutes, 0, DateTimeKind.Utc),
            PeriodKind.Hour => new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc),
            PeriodKind.Day => new DateTime(utc.Year, utc.Month, utc.Day, 0, 0, 0, DateTimeKind.Utc),
            _ => new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        return new BillingPeriod(kind, new DateTimeOffset(start));
    }

    /// <summary>The first instant after the period (exclusive end).</summary>
    public DateTimeOffset End => Kind switch
    {
        PeriodKind.Bucket => Start.AddMinutes(BucketMinutes),
        PeriodKind.Hour => Start.AddHours(1),
        PeriodKind.Day => Start.AddDays(1),
        _ => Start.AddMonths(1),
    };

    /// <summary>The period that contains this one (bucket → hour → day → month); a month has none.</summary>
    public BillingPeriod? Parent => Kind switch
    {
        PeriodKind.Bucket => Of(PeriodKind.Hour, Start),
        PeriodKind.Hour => Of(PeriodKind.Day, Start),
        PeriodKind.Day => Of(PeriodKind.Month, Start),
        _ => null,
    };

    /// <summary>The kind of period a <see cref="Parent"/> is summed from.</summary>
    public PeriodKind? ChildKind => Kind switch
    {
        PeriodKind.Month => PeriodKind.Day,
        PeriodKind.Day => PeriodKind.Hour,
        PeriodKind.Hour => PeriodKind.Bucket,
        _ => null,
    };

    /// <summary>The key that sorts periods of one kind by time: <c>B202611230805</c>, <c>H2026112308</c>, <c>D20261123</c>, <c>M202611</c>.</summary>
    public string Key => Kind switch
    {
        PeriodKind.Bucket => "B" + Start.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture),
        PeriodKind.Hour => "H" + Start.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture),
        PeriodKind.Day => "D" + Start.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        _ => "M" + Start.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture),
    };

    public bool Contains(DateTimeOffset at) => at >= Start && at < End;

    public static bool TryParse(string key, out BillingPeriod period)
    {
        period = default;
        if (key.Length < 2)
        {
            return false;
        }
        var (kind, format) = key[0] switch
        {
            'B' => (PeriodKind.Bucket, "yyyyMMddHHmm"),
            'H' => (PeriodKind.Hour, "yyyyMMddHH"),
            'D' => (PeriodKind.Day, "yyyyMMdd"),
            'M' => (PeriodKind.Month, "yyyyMM"),
            _ => (PeriodKind.Hour, ""),
        };
        if (format.Length == 0 || !DateTime.TryParseExact(key.AsSpan(1), format, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start))
        {
            return false;
        }
        period = new BillingPeriod(kind, new DateTimeOffset(start, TimeSpan.Zero));
        return period == Of(kind, period.Start);
    }

    public override string ToString() => Key;
}
