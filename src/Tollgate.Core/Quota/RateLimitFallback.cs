namespace Tollgate.Quota;

/// <summary><c>Tollgate:Quota:RateLimitsWithoutStorage</c>: what a key's rate limits do while the shared accounts cannot be reached.</summary>
public enum RateLimitFallback
{
    /// <summary>
    /// Serve on this instance's own count: the key's limit divided by <c>ExpectedInstances</c> per minute. The key keeps
    /// working; across instances it may get up to its limit times (instances ÷ ExpectedInstances) while storage is out.
    /// </summary>
    Local,

    /// <summary>Refuse with 503 <c>rate_limits_unavailable</c> (and Retry-After) rather than risk passing the limit.</summary>
    Refuse,
}
