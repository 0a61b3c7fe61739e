namespace Tollgate.Quota;

/// <summary>
/// Arithmetic on counts a client controls (tokens asked for, choices, estimates): results clamp to
/// <see cref="long.MaxValue"/> (or <see cref="long.MinValue"/>) instead of wrapping, so an extreme request asks for
/// more than any limit has, never for a negative amount.
/// </summary>
public static class Saturating
{
    public static long Add(long a, long b)
    {
        var sum = unchecked(a + b);
        // Overflow only when both have the same sign and the sum's sign differs from theirs.
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    public static long Subtract(long a, long b) => b == long.MinValue
        ? (a < 0 ? unchecked(a - b) : long.MaxValue)
        : Add(a, -b);

    public static long Multiply(long a, long b)
    {
        var high = Math.BigMul(a, b, out long low);
        // The product fits when the high half is only the sign extension of the low half.
        return high == (low >> 63) ? low : ((a < 0) ^ (b < 0) ? long.MinValue : long.MaxValue);
    }

    /// <summary>A double rounded up to a whole count, clamped to <see cref="long"/>'s range; NaN counts as the largest.</summary>
    public static long Ceiling(double value) =>
        double.IsNaN(value) || value >= long.MaxValue ? long.MaxValue
        : value <= long.MinValue ? long.MinValue
        : (long)Math.Ceiling(value);
}
