namespace Tollgate.Routing;

/// <summary><c>Tollgate:Resilience</c>: how upstream deployments are tried, timed and taken out of rotation.</summary>
public sealed class ResilienceOptions
{
    public const string Section = "Tollgate:Resilience";

    /// <summary>The most deployments one request tries (the first included), all inside <c>UpstreamResponseTimeout</c>.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// How long a streaming request waits for a deployment's response headers before trying the next one. A request
    /// that is not a stream waits for its whole answer, so it is bounded by <c>UpstreamResponseTimeout</c> only.
    /// </summary>
    public TimeSpan StreamAttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a request that is not a stream waits for one deployment's answer before trying the next one; null (the
    /// default) waits until <c>UpstreamResponseTimeout</c>, since such an answer arrives only once the whole completion is
    /// generated. Set it for models whose answers are known to be quick.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>
    /// Whether a request fails over after an answer that leaves it unsure whether the deployment ran the completion: 408,
    /// 502, 504, 503 without <c>Retry-After</c>, no answer within an attempt timeout, or the connection lost once the
    /// request was sent. True (the default) favours the caller getting an answer. False favours the provider's bill (the
    /// first deployment may have generated, and charged for, a completion nobody receives): then only what surely did not
    /// run fails over (a refused connection, 429, 503 with <c>Retry-After</c>, a provider out of balance), attempts have
    /// no timeout of their own, and the other failures are the caller's answer.
    /// </summary>
    public bool FailoverWhenUnsure { get; set; } = true;

    /// <summary>A circuit opens when at least this share of a deployment's calls failed within <see cref="SamplingDuration"/>.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>...and at least this many calls were made in it.</summary>
    public int MinimumThroughput { get; set; } = 5;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit keeps its deployment out before one probe request is let through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a deployment that answered 402 or a balance error is left out (and warned about once).</summary>
    public TimeSpan BalanceCooldown { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A <c>Retry-After</c> longer than this is capped to it (a deployment is never out for hours on one header).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Base of the jittered pause before the next attempt (it doubles per attempt, with full jitter).</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    public string? Problem()
    {
        if (MaxAttempts is < 1 or > 10)
        {
            return $"{Section}:MaxAttempts must be 1 to 10.";
        }
        if (FailureRatio is <= 0 or > 1 || MinimumThroughput < 2)
        {
            return $"{Section}:FailureRatio must be above 0 and at most 1, MinimumThroughput at least 2.";
        }
        if (!IsAttemptTimeout(StreamAttemptTimeout) || (AttemptTimeout is { } answer && !IsAttemptTimeout(answer)))
        {
            return $"{Section}:StreamAttemptTimeout and AttemptTimeout must be between 10 ms and 24 hours.";
        }
        if (SamplingDuration < TimeSpan.FromMilliseconds(500) || BreakDuration < TimeSpan.FromMilliseconds(500)
            || BalanceCooldown <= TimeSpan.Zero || MaxRetryAfter <= TimeSpan.Zero || RetryBackoff < TimeSpan.Zero)
        {
            return $"{Section}: timeouts and durations must be positive (SamplingDuration and BreakDuration at least 0.5 s).";
        }
        return null;
    }

    /// <summary>What an attempt timeout may be: the range Polly's timeout strategy takes.</summary>
    private static bool IsAttemptTimeout(TimeSpan timeout) => timeout >= TimeSpan.FromMilliseconds(10) && timeout <= TimeSpan.FromDays(1);
}
