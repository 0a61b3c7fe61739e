using System.Globalization;

namespace Tollgate.Pricing;

/// <summary>
/// What one model costs from a date on: per million input, cached input, output and (when priced apart) reasoning
/// tokens, plus an optional fee per request. <see cref="Upstream"/> set: the price of the model served by that
/// upstream only. Money is <see cref="decimal"/>, never rounded here.
/// </summary>
public sealed class ModelPrice
{
    /// <summary>The model name clients use (as in <c>Tollgate:Upstreams:{name}:Models</c>).</summary>
    public string Model { get; set; } = "";

    /// <summary>The upstream this price is for; null for every upstream that serves the model.</summary>
    public string? Upstream { get; set; }

    /// <summary>The price applies to requests that started at or after this time (UTC).</summary>
    public DateTimeOffset EffectiveFrom { get; set; }

    public decimal InputPerMillion { get; set; }

    /// <summary>Cached input tokens; when null they cost what other input tokens cost.</summary>
    public decimal? CachedInputPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }

    /// <summary>Reasoning tokens (part of the completion tokens); when null they are billed as output.</summary>
    public decimal? ReasoningPerMillion { get; set; }

    /// <summary>A fee for each request that reached the model, on top of its tokens.</summary>
    public decimal PerRequest { get; set; }

    /// <summary>Names this price among all others: model, upstream when set, and the date it took effect. Built once.</summary>
    public string Version => _version is { } version && _versionOf == (Model, Upstream, EffectiveFrom) ? version : BuildVersion();

    private string? _version;
    private (string, string?, DateTimeOffset) _versionOf;

    private string BuildVersion()
    {
        _versionOf = (Model, Upstream, EffectiveFrom);
        return _version = string.Concat(Model, Upstream is null ? "" : "@" + Upstream, "/",
            EffectiveFrom.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The cost of one request's tokens. Cached tokens are part of the prompt tokens and reasoning tokens part of the
    /// completion tokens (as OpenAI reports them), so each is taken out of its total and priced on its own.
    /// </summary>
    /// <param name="reachedModel">The request reached the model (it used tokens), so the per-request fee applies.</param>
    public decimal CostOf(long promptTokens, long cachedTokens, long completionTokens, long reasoningTokens, bool reachedModel)
    {
        var cached = Math.Clamp(cachedTokens, 0, Math.Max(promptTokens, 0));
        var reasoning = Math.Clamp(reasoningTokens, 0, Math.Max(completionTokens, 0));
        var perMillion = (Math.Max(promptTokens, 0) - cached) * InputPerMillion
                         + cached * (CachedInputPerMillion ?? InputPerMillion)
                         + (Math.Max(completionTokens, 0) - reasoning) * OutputPerMillion
                         + reasoning * (ReasoningPerMillion ?? OutputPerMillion);
        return perMillion / 1_000_000m + (reachedModel ? PerRequest : 0m);
    }

    /// <summary>
    /// The highest price per million tokens or per request (10^6). With it, <see cref="CostOf"/> cannot overflow for any token
    /// counts, however extreme a request's worst case is (four terms of at most 2^63 tokens times 10^6 stay below decimal's range).
    /// </summary>
    public const decimal MaxPrice = 1_000_000m;

    /// <summary>Why this price cannot be used, or null: a name, amounts from 0 to <see cref="MaxPrice"/>, a UTC date.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Model) || Model.Length > 256)
        {
            return "Model must be 1 to 256 characters.";
        }
        if (Upstream is { Length: 0 or > 128 })
        {
            return "Upstream, when set, must be 1 to 128 characters.";
        }
        if (InputPerMillion < 0 || OutputPerMillion < 0 || CachedInputPerMillion < 0 || ReasoningPerMillion < 0 || PerRequest < 0)
        {
            return "Prices cannot be negative.";
        }
        if (InputPerMillion > MaxPrice || OutputPerMillion > MaxPrice || CachedInputPerMillion > MaxPrice || ReasoningPerMillion > MaxPrice || PerRequest > MaxPrice)
        {
            return "Prices cannot be above 1,000,000.";
        }
        return null;
    }
}
