using Microsoft.Extensions.Logging;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>Tollgate's log events. Values are identifiers and figures only: no keys, prompts or completions.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Request {RequestId} key={KeyId} model={Model} upstream={Upstream} status={Status} outcome={Outcome} stream={Stream} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} source={Source} ttft_ms={TtftMs} duration_ms={DurationMs}")]
    public static partial void RequestCompleted(ILogger logger, string requestId, string keyId, string model, string upstream, int status,
        RequestOutcome outcome, bool stream, long promptTokens, long completionTokens, UsageSource source, double? ttftMs, double durationMs);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Request {RequestId} rejected: no valid key (status {Status})")]
    public static partial void Unauthenticated(ILogger logger, string requestId, int status);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Request {RequestId} (key {KeyId}) refused: the usage ledger is backlogged")]
    public static partial void MeteringBacklogged(ILogger logger, string requestId, string keyId);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Request {RequestId}: upstream {Upstream} unreachable ({Error})")]
    public static partial void UpstreamUnreachable(ILogger logger, string requestId, string upstream, string error);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Request {RequestId}: upstream {Upstream} timed out ({Stage})")]
    public static partial void UpstreamTimeout(ILogger logger, string requestId, string upstream, string stage);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Request {RequestId}: upstream {Upstream} answered {Status}")]
    public static partial void UpstreamFailed(ILogger logger, string requestId, string upstream, int status);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Request {RequestId}: upstream {Upstream} stream broke ({Reason})")]
    public static partial void UpstreamStreamBroken(ILogger logger, string requestId, string upstream, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Request {RequestId}: upstream {Upstream} sent a stream event that is not JSON; relayed as is")]
    public static partial void MalformedStreamEvent(ILogger logger, string requestId, string upstream);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Request {RequestId}: upstream {Upstream} sent an unusable response ({Reason})")]
    public static partial void UpstreamBadResponse(ILogger logger, string requestId, string upstream, string reason);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Debug, Message = "Request {RequestId}: client disconnected")]
    public static partial void ClientAborted(ILogger logger, string requestId);

    [LoggerMessage(EventId = 1900, Level = LogLevel.Error, Message = "Request {RequestId} failed inside the gateway")]
    public static partial void Unhandled(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Deployment {Deployment} is out of balance or credit: left out for {Cooldown} (logged once per cool-down)")]
    public static partial void DeploymentOutOfBalance(ILogger logger, string deployment, TimeSpan cooldown);
}
