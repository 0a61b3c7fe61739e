using System.Diagnostics;
using Tollgate.Diagnostics;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>
/// A finished request on the shared <see cref="TollgateMetrics"/> meter and on its span: Tollgate's own names, and
/// OpenTelemetry's GenAI conventions (<see cref="GenAiConventions"/>) beside them. Never a prompt, a completion or a key.
/// </summary>
internal static class RequestMetrics
{
    /// <summary>The span's name until the model is known, and for requests refused before it is.</summary>
    public const string SpanName = "chat";

    public static void RequestCompleted(this TollgateMetrics metrics, UsageRecord record, ProxyExchange? exchange)
    {
        metrics.RequestCompleted(record.Outcome.ToString(), record.Status, record.DurationMs, record.TimeToFirstTokenMs, record.PromptTokens,
            record.CompletionTokens, record.Cost, record.Unpriced, record.RequestedModel, record.Owner);
        if (exchange?.Deployment is { } deployment)
        {
            metrics.GenAiOperation(deployment.Upstream.ProviderName, record.RequestedModel, record.UpstreamModel, ErrorType(record),
                record.DurationMs / 1000, record.Stream ? record.TimeToFirstTokenMs / 1000 : null, record.PromptTokens, record.CompletionTokens);
        }
    }

    /// <summary>The GenAI conventions' attributes on the request's span (<c>chat {model}</c>), once the request has ended.</summary>
    public static void Describe(Activity activity, UsageRecord record, ProxyExchange? exchange)
    {
        activity.SetTag("tollgate.request_id", record.RequestId);
        activity.SetTag("tollgate.key_id", record.KeyId);
        activity.SetTag("tollgate.outcome", record.Outcome.ToString());
        activity.SetTag("http.response.status_code", record.Status);
        activity.SetTag(GenAiConventions.OperationName, GenAiConventions.Chat);
        if (record.RequestedModel.Length > 0)
        {
            activity.DisplayName = SpanName + " " + record.RequestedModel;
            activity.SetTag(GenAiConventions.RequestModel, record.RequestedModel);
        }
        if (exchange?.Deployment is { } deployment)
        {
            activity.SetTag(GenAiConventions.ProviderName, deployment.Upstream.ProviderName);
            activity.SetTag(GenAiConventions.ResponseModel, record.UpstreamModel);
            activity.SetTag(GenAiConventions.InputTokens, record.PromptTokens);
            activity.SetTag(GenAiConventions.OutputTokens, record.CompletionTokens);
        }
        if (record.FinishReason is { } finish)
        {
            activity.SetTag(GenAiConventions.ResponseFinishReasons, new[] { finish });
        }
        if (ErrorType(record) is { } error)
        {
            activity.SetTag(GenAiConventions.ErrorType, error);
            if (record.Status >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    /// <summary><c>error.type</c>: the outcome of a request that did not complete (a low-cardinality name), else null.</summary>
    private static string? ErrorType(UsageRecord record) =>
        record.Outcome == RequestOutcome.Completed ? null : record.ErrorCode ?? record.Outcome.ToString();
}
