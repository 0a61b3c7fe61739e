using Tollgate.Pricing;
using Tollgate.Streaming;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>
/// Settles a request's token figures once it has ended: the upstream's own report when it sent one; otherwise
/// counted from the request and the text seen, when the model may have done work; otherwise none. Then its cost
/// at the price in effect when it started. No I/O and no clock: the same inputs always give the same record.
/// </summary>
public sealed class UsageSettlement(TokenCounter tokens)
{
    /// <summary>Where the figures come from for a request that ended with <paramref name="outcome"/>.</summary>
    /// <param name="sentUpstream">The body reached the upstream, so a model may have consumed tokens.</param>
    /// <param name="sawOutput">The upstream sent generated content.</param>
    public static UsageSource SourceFor(RequestOutcome outcome, bool usageReported, bool sentUpstream, bool sawOutput)
    {
        if (usageReported)
        {
            return UsageSource.Reported;
        }
        var cutShort = outcome is RequestOutcome.ClientAborted or RequestOutcome.StreamBroken;
        if (outcome == RequestOutcome.Completed || (cutShort && sentUpstream) || sawOutput)
        {
            return cutShort ? UsageSource.Partial : UsageSource.Estimated;
        }
        return UsageSource.None;
    }

    /// <summary>
    /// <see cref="SourceFor(RequestOutcome, bool, bool, bool)"/> from what <paramref name="tap"/> saw; the generated text
    /// is looked at only when the upstream reported no usage (the tap reads a stream's text lazily).
    /// </summary>
    public static UsageSource SourceFor(RequestOutcome outcome, UsageTap tap, bool sentUpstream) =>
        tap.UsageReported ? UsageSource.Reported : SourceFor(outcome, usageReported: false, sentUpstream, tap.SawOutput);

    /// <summary>
    /// <see cref="Settle"/>, on the thread pool when it counts tokens in more than <see cref="TokenCounter.InlineCountBytes"/>
    /// of text (the request body and the completion kept), so a large count never holds a thread that serves other connections.
    /// </summary>
    public ValueTask SettleAsync(UsageRecord record, UsageSource source, UsageTap tap, ReadOnlyMemory<byte> upstreamBody, ModelPrice? price)
    {
        if (source is UsageSource.Estimated or UsageSource.Partial && (long)upstreamBody.Length + tap.CompletionText.Length > TokenCounter.InlineCountBytes)
        {
            return new ValueTask(Task.Run(() => Settle(record, source, tap, upstreamBody.Span, price)));
        }
        Settle(record, source, tap, upstreamBody.Span, price);
        return ValueTask.CompletedTask;
    }

    /// <summary>Fills the record's token figures from <paramref name="source"/>, and its cost at <paramref name="price"/>.</summary>
    /// <param name="upstreamBody">The body sent upstream, whose prompt is counted when the figures are estimated.</param>
    /// <param name="price">The price in effect; null when the request never got that far or is served unpriced.</param>
    public void Settle(UsageRecord record, UsageSource source, UsageTap tap, ReadOnlySpan<byte> upstreamBody, ModelPrice? price)
    {
        record.Source = source;
        switch (source)
        {
            case UsageSource.Reported:
                record.PromptTokens = tap.PromptTokens;
                record.CompletionTokens = tap.CompletionTokens;
                record.CachedTokens = tap.CachedTokens;
                record.ReasoningTokens = tap.ReasoningTokens;
                break;
            case UsageSource.Estimated or UsageSource.Partial:
                var model = record.UpstreamModel.Length > 0 ? record.UpstreamModel : record.RequestedModel;
                record.PromptTokens = tokens.CountPrompt(upstreamBody, model);
                record.CompletionTokens = tokens.CountCompletion(tap.CompletionText, tap.CompletionTextBytes, model);
                break;
        }
        if (price is not null)
        {
            record.Cost = price.CostOf(record.PromptTokens, record.CachedTokens, record.CompletionTokens, record.ReasoningTokens, reachedModel: source != UsageSource.None);
            record.PriceVersion = price.Version;
        }
    }
}
