using Tollgate.Usage;

namespace Tollgate.Billing;

/// <summary>Sums over usage records: requests, errors, tokens by kind and cost. Cost is exact (<see cref="decimal"/>), never rounded here.</summary>
public sealed class UsageTotals
{
    public long Requests { get; set; }

    /// <summary>Requests that did not complete (refused, upstream errors, broken streams, clients gone).</summary>
    public long Errors { get; set; }

    public long PromptTokens { get; set; }
    public long CachedTokens { get; set; }
    public long CompletionTokens { get; set; }
    public long ReasoningTokens { get; set; }
    public decimal Cost { get; set; }

    /// <summary>Requests served without a price: their cost is unknown and not in <see cref="Cost"/>.</summary>
    public long UnpricedRequests { get; set; }

    public void Add(UsageRecord record)
    {
        Requests++;
        Errors += record.Outcome == RequestOutcome.Completed ? 0 : 1;
        PromptTokens += record.PromptTokens;
        CachedTokens += record.CachedTokens;
        CompletionTokens += record.CompletionTokens;
        ReasoningTokens += record.ReasoningTokens;
        Cost += record.Cost;
        UnpricedRequests += record.Unpriced ? 1 : 0;
    }

    public void Add(UsageTotals other)
    {
        Requests += other.Requests;
        Errors += other.Errors;
        PromptTokens += other.PromptTokens;
        CachedTokens += other.CachedTokens;
        CompletionTokens += other.CompletionTokens;
        ReasoningTokens += other.ReasoningTokens;
        Cost += other.Cost;
        UnpricedRequests += other.UnpricedRequests;
    }

    public UsageTotals Copy()
    {
        var copy = new UsageTotals();
        copy.Add(this);
        return copy;
    }
}
