namespace Tollgate.Quota;

/// <summary>
/// A per-minute limit as a bucket that holds at most <see cref="Limit"/> and refills continuously at
/// <see cref="Limit"/> a minute: a burst of the whole minute's allowance, then a steady rate. Settling can take
/// more than is left (a request used more than it reserved), leaving the bucket in debt until it refills.
/// Not thread-safe: the caller locks.
/// </summary>
internal sealed class TokenBucket(long limit, long now)
{
    private static readonly double TicksPerMinute = TimeSpan.TicksPerMinute;

    private double _level = limit;
    private long _updated = now;

    public long Limit { get; } = limit;

    /// <summary>Takes <paramref name="amount"/> if there is that much; otherwise takes nothing.</summary>
    public bool TryTake(long amount, long now)
    {
        Refill(now);
        if (_level < amount)
        {
            return false;
        }
        _level -= amount;
        return true;
    }

    /// <summary>
    /// Gives back (negative) or takes more (positive) once a request's real use is known. The debt is bounded by a day's
    /// allowance, so however much a request used, the key is limited for at most a day and every wait stays in range.
    /// </summary>
    public void Adjust(long amount, long now)
    {
        Refill(now);
        _level = Math.Clamp(_level - amount, -MaxDebtMinutes * (double)Limit, Limit);
    }

    private const int MaxDebtMinutes = 24 * 60;

    public long Remaining(long now)
    {
        Refill(now);
        return Math.Max(0, (long)Math.Floor(_level));
    }

    /// <summary>How long until <paramref name="amount"/> is there (zero when it is).</summary>
    public TimeSpan TimeUntil(double amount, long now)
    {
        Refill(now);
        var missing = Math.Min(amount, Limit) - _level;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling(missing / Limit * TicksPerMinute));
    }

    /// <summary>How long until the bucket is full again (what OpenAI's <c>x-ratelimit-reset-*</c> headers say).</summary>
    public TimeSpan TimeUntilFull(long now) => TimeUntil(Limit, now);

    private void Refill(long now)
    {
        if (now > _updated)
        {
            // In floating point: elapsed ticks times a large limit would overflow a long.
            _level = Math.Min(Limit, _level + (now - _updated) / TicksPerMinute * Limit);
            _updated = now;
        }
    }
}
