using Azure;

namespace Tollgate.Storage;

/// <summary>
/// When a background loop (ledger writer, aggregation, budget flushes, refreshers) logs its failures: the first of a
/// streak at Warning, the ones after it at Debug, and once more when it ends, so a long outage is one warning and one
/// recovery, not a line per tick. Thread-safe.
/// </summary>
public sealed class FailureStreak
{
    private int _failures;

    /// <summary>Failures since the last success.</summary>
    public int Count => Volatile.Read(ref _failures);

    /// <summary>Counts a failure; true when it starts a streak (log it at Warning).</summary>
    public bool Fail() => Interlocked.Increment(ref _failures) == 1;

    /// <summary>Ends the streak; how many failures it had (0 when there was none, so nothing to log).</summary>
    public int Succeed() => Volatile.Read(ref _failures) == 0 ? 0 : Interlocked.Exchange(ref _failures, 0);

    /// <summary>
    /// What failed, safe to log: the exception's type, and storage's status and error code when it answered. Never the
    /// message, which can carry account URLs.
    /// </summary>
    public static string Reason(Exception e) => e switch
    {
        RequestFailedException r => $"{r.Status} {r.ErrorCode}".TrimEnd(),
        AggregateException { InnerExceptions.Count: > 0 } a => Reason(a.InnerExceptions[0]),
        _ => e.GetType().Name,
    };
}
