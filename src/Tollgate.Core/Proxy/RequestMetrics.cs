using Tollgate.Diagnostics;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>A finished request's figures on the shared <see cref="TollgateMetrics"/> meter.</summary>
internal static class RequestMetrics
{
    public static void RequestCompleted(this TollgateMetrics metrics, UsageRecord record) =>
        metrics.RequestCompleted(record.Outcome.ToString(), record.Status, record.DurationMs, record.TimeToFirstTokenMs, record.PromptTokens,
            record.CompletionTokens, record.Cost, record.Unpriced, record.RequestedModel, record.Owner);
}
