using Tollgate.Keys;
namespace Tollgate.Quota;

/// <summary><c>Tollgate:Quota</c>: how quota estimates what a request may use, owner budgets, and how budgets are shared between instances.</summary>
public sealed class QuotaOptions
{
    public const string Section = "Tollgate:Quota";

    /// <summary>The output a request that sets no <c>max_completion_tokens</c>/<c>max_tokens</c> is assumed to ask for, per choice.</summary>
    public long DefaultMaxOutputTokens { get; set; } = 1_000;

    /// <summary>Per model (the name clients use): the output assumed for a request that sets no limit, instead of <see cref="DefaultMaxOutputTokens"/>.</summary>
    public Dictionary<string, long> MaxOutputTokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A budget reserves the prompt's tokens as the tokenizer counts them plus this share (0.1 = 10 %), for upstreams
    /// whose tokenizer counts a little more.
    /// </summary>
    public double PromptTokenMargin { get; set; } = 0.10;

    /// <summary>Budgets shared by every key of an owner, by owner name; the admin API adds stored ones (a stored one wins).</summary>
    public Dictionary<string, Budget> OwnerBudgets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often an instance re-reads stored owner budgets.</summary>
    public TimeSpan BudgetRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The share of what is left of a budget an instance takes at once as its local allowance (0.1 = 10 %). Far from
    /// the limit requests are then reserved in memory; near it the share is smaller than a request, so each request
    /// goes to storage.
    /// </summary>
    public double AllowanceShare { get; set; } = 0.10;

    /// <summary>How often an instance reports what it spent to the shared accounts and renews its leases.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An allowance unused for this long goes back to the shared account.</summary>
    public TimeSpan IdleRelease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an instance's hold on a budget lasts without renewal. An instance that died keeps its reservations
    /// this long, then the aggregation timer releases them.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long an instance's hold on a key's rate-limit minute lasts without renewal. An instance that died keeps its
    /// unused allowance this long; then the next instance to exchange with that minute's account gives it back.
    /// Shorter than a minute, so a dead instance's share is back within the minute it was taken in.
    /// </summary>
    public TimeSpan RateLimitLeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What rate limits do when the shared accounts cannot be reached (see <see cref="Quota.RateLimitFallback"/>).</summary>
    public RateLimitFallback RateLimitsWithoutStorage { get; set; } = RateLimitFallback.Local;

    /// <summary>
    /// With <see cref="RateLimitFallback.Local"/>: how many instances are expected to serve a key, so that while storage
    /// is out each instance admits the key's limit divided by this, per minute.
    /// </summary>
    public int ExpectedInstances { get; set; } = 1;

    /// <summary>Why these options cannot be used, or null.</summary>
    public string? Problem()
    {
        if (DefaultMaxOutputTokens <= 0 || MaxOutputTokens.Values.Any(v => v <= 0))
        {
            return $"{Section}:DefaultMaxOutputTokens and MaxOutputTokens must be positive.";
        }
        if (PromptTokenMargin is < 0 or > 10 || AllowanceShare is <= 0 or > 1)
        {
            return $"{Section}:PromptTokenMargin must be 0 to 10 and AllowanceShare above 0 and at most 1.";
        }
        if (FlushInterval <= TimeSpan.Zero || LeaseDuration < FlushInterval * 3 || IdleRelease <= TimeSpan.Zero || BudgetRefreshInterval <= TimeSpan.Zero)
        {
            return $"{Section}: intervals must be positive and LeaseDuration at least three FlushIntervals.";
        }
        if (RateLimitLeaseDuration < FlushInterval * 3 || RateLimitLeaseDuration > TimeSpan.FromMinutes(1))
        {
            return $"{Section}:RateLimitLeaseDuration must be at least three FlushIntervals and at most a minute.";
        }
        if (!Enum.IsDefined(RateLimitsWithoutStorage) || ExpectedInstances is < 1 or > 10_000)
        {
            return $"{Section}:RateLimitsWithoutStorage must be Local or Refuse, and ExpectedInstances 1 to 10000.";
        }
        foreach (var (owner, budget) in OwnerBudgets)
        {
            if (!Keys.KeyValidation.IsValidOwner(owner))
            {
                return $"{Section}:OwnerBudgets: the owner '{owner}' must be {Keys.KeyValidation.OwnerRule}.";
            }
            if (budget.Problem() is { } problem)
            {
                return $"{Section}:OwnerBudgets:{owner}: {problem}";
            }
        }
        return null;
    }
}
