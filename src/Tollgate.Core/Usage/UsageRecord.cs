namespace Tollgate.Usage;

/// <summary>
/// One request's metering record. Holds identifiers, figures and timings only: never prompt text,
/// completion text or secrets.
/// </summary>
public sealed class UsageRecord
{
    public required string RequestId { get; init; }
    public string KeyId { get; set; } = "";
    public string Owner { get; set; } = "";
    /// <summary>
    /// The model the client asked for, when a route serves that name; <see cref="UnknownModel"/> when none does (the
    /// request was refused before routing, and its name, which the client chose freely, is kept nowhere).
    /// </summary>
    public string RequestedModel { get; set; } = "";

    /// <summary>What <see cref="RequestedModel"/> says for a model no route serves: one line on every rollup, whatever names clients send.</summary>
    public const string UnknownModel = "(unknown model)";
    public string UpstreamModel { get; set; } = "";
    public string Upstream { get; set; } = "";
    public bool Stream { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public long CachedTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public UsageSource Source { get; set; }
    public int Status { get; set; }
    public RequestOutcome Outcome { get; set; }

    /// <summary>The error code returned or met (e.g. <c>upstream_timeout</c>), null on success.</summary>
    public string? ErrorCode { get; set; }
    public string? FinishReason { get; set; }
    public double? TimeToFirstTokenMs { get; set; }
    public double DurationMs { get; set; }
    /// <summary>What the request cost at the price in effect when it started, unrounded (0 when it used nothing or is unpriced).</summary>
    public decimal Cost { get; set; }

    /// <summary>The price used (<c>Pricing/ModelPrice.Version</c>); null when none was.</summary>
    public string? PriceVersion { get; set; }

    /// <summary>The model had no price and was served anyway (<c>Pricing:AllowUnpriced</c>): its cost is unknown, not 0.</summary>
    public bool Unpriced { get; set; }

    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset CompletedAt { get; set; }

    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>
    /// Upstream attempts made: 1 when the first deployment answered, more when Tollgate failed over (the record's
    /// <see cref="Upstream"/> and <see cref="UpstreamModel"/> name the deployment that answered last); 0 when nothing was sent.
    /// </summary>
    public int Attempts { get; set; }
}
