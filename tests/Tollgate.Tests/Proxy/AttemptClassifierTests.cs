using Tollgate.Proxy;
using Tollgate.Routing;

namespace Tollgate.Tests.Proxy;

/// <summary>The failover policy as a table: what each attempt's result means, without HTTP.</summary>
public sealed class AttemptClassifierTests
{
    private static readonly DateTimeOffset Later = new(2026, 11, 23, 12, 0, 30, TimeSpan.Zero);

    private const AttemptAction Relay = AttemptAction.Relay;
    private const AttemptAction FailOver = AttemptAction.FailOver;
    private const AttemptAction Final = AttemptAction.Final;

    [Theory]
    // status, Retry-After given, out of balance, FailoverWhenUnsure => action, error, metric, Retry-After kept, rate limited
    [InlineData(200, false, false, false, Relay, ProxyError.None, "ok", false, false)]
    [InlineData(200, false, false, true, Relay, ProxyError.None, "ok", false, false)]
    [InlineData(201, true, false, true, Relay, ProxyError.None, "ok", false, false)]
    [InlineData(301, false, false, true, Final, ProxyError.UpstreamRedirect, "redirect", false, false)]
    [InlineData(302, false, false, false, Final, ProxyError.UpstreamRedirect, "redirect", false, false)]
    [InlineData(307, true, false, true, Final, ProxyError.UpstreamRedirect, "redirect", false, false)]
    [InlineData(101, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(400, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(400, false, false, false, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(401, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(403, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(404, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(422, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(422, true, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(500, false, false, true, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    [InlineData(500, true, false, false, Final, ProxyError.UpstreamFailed, "client_error", false, false)]
    // 408, 502 and 504 leave it open whether the completion ran: another deployment only when unsure failover is on.
    [InlineData(408, false, false, true, FailOver, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(408, false, false, false, Final, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(502, false, false, true, FailOver, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(502, false, false, false, Final, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(502, true, false, false, Final, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(504, false, false, true, FailOver, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(504, false, false, false, Final, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(504, true, false, false, Final, ProxyError.UpstreamFailed, "unavailable", false, false)]
    // 429 always fails over; its Retry-After leaves the deployment out.
    [InlineData(429, false, false, true, FailOver, ProxyError.UpstreamFailed, "rate_limited", false, true)]
    [InlineData(429, false, false, false, FailOver, ProxyError.UpstreamFailed, "rate_limited", false, true)]
    [InlineData(429, true, false, true, FailOver, ProxyError.UpstreamFailed, "rate_limited", true, true)]
    [InlineData(429, true, false, false, FailOver, ProxyError.UpstreamFailed, "rate_limited", true, true)]
    // 503 with Retry-After says the completion did not run; without one it is as unsure as 502.
    [InlineData(503, false, false, true, FailOver, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(503, false, false, false, Final, ProxyError.UpstreamFailed, "unavailable", false, false)]
    [InlineData(503, true, false, true, FailOver, ProxyError.UpstreamFailed, "unavailable", true, false)]
    [InlineData(503, true, false, false, FailOver, ProxyError.UpstreamFailed, "unavailable", true, false)]
    // Out of balance fails over whatever the status and settings, and its Retry-After does not count.
    [InlineData(402, false, true, false, FailOver, ProxyError.UpstreamFailed, "out_of_balance", false, false)]
    [InlineData(400, false, true, true, FailOver, ProxyError.UpstreamFailed, "out_of_balance", false, false)]
    [InlineData(429, true, true, false, FailOver, ProxyError.UpstreamFailed, "out_of_balance", false, false)]
    [InlineData(503, true, true, true, FailOver, ProxyError.UpstreamFailed, "out_of_balance", false, false)]
    public void ForStatus_DecidesFromStatusRetryAfterBalanceAndSettings(int status, bool retryAfterGiven, bool outOfBalance, bool failoverWhenUnsure,
        AttemptAction action, ProxyError error, string result, bool keepsRetryAfter, bool rateLimited)
    {
        var verdict = AttemptClassifier.ForStatus(status, outOfBalance, retryAfterGiven ? Later : null, failoverWhenUnsure);

        Assert.Equal((action, error, result), (verdict.Action, verdict.Error, verdict.Result));
        Assert.Equal(keepsRetryAfter ? Later : null, verdict.RetryAfter);
        Assert.Equal((rateLimited, outOfBalance), (verdict.RateLimited, verdict.OutOfBalance));
        // Any response counts as an attempt that reached the upstream, and an error answers with what the upstream said.
        Assert.Equal((true, true), (verdict.Attempted, verdict.MayHaveReached));
        Assert.Null(verdict.Answer);
    }

    [Theory]
    // fault, FailoverWhenUnsure => action, error, metric, counted as an attempt, may have reached the upstream, own answer's status
    [InlineData(AttemptFault.NoCredential, true, FailOver, ProxyError.UpstreamUnreachable, "no_credential", false, false, 503)]
    [InlineData(AttemptFault.NoCredential, false, FailOver, ProxyError.UpstreamUnreachable, "no_credential", false, false, 503)]
    [InlineData(AttemptFault.CircuitOpen, true, FailOver, ProxyError.UpstreamUnreachable, null, false, false, 503)]
    [InlineData(AttemptFault.CircuitOpen, false, FailOver, ProxyError.UpstreamUnreachable, null, false, false, 503)]
    [InlineData(AttemptFault.AttemptTimeout, true, FailOver, ProxyError.UpstreamTimeout, "timeout", true, true, 504)]
    [InlineData(AttemptFault.DeadlinePassed, true, Final, ProxyError.UpstreamTimeout, "timeout", true, true, null)]
    [InlineData(AttemptFault.DeadlinePassed, false, Final, ProxyError.UpstreamTimeout, "timeout", true, true, null)]
    [InlineData(AttemptFault.Unreachable, true, FailOver, ProxyError.UpstreamUnreachable, "unreachable", true, false, null)]
    [InlineData(AttemptFault.Unreachable, false, FailOver, ProxyError.UpstreamUnreachable, "unreachable", true, false, null)]
    [InlineData(AttemptFault.ConnectionLost, true, FailOver, ProxyError.UpstreamConnectionFailed, "unreachable", true, true, null)]
    [InlineData(AttemptFault.ConnectionLost, false, Final, ProxyError.UpstreamConnectionFailed, "unreachable", true, true, null)]
    public void ForFault_DecidesFromTheFaultAndSettings(AttemptFault fault, bool failoverWhenUnsure, AttemptAction action, ProxyError error, string? result,
        bool attempted, bool mayHaveReached, int? answerStatus)
    {
        var verdict = AttemptClassifier.ForFault(fault, failoverWhenUnsure);

        Assert.Equal((action, error, result), (verdict.Action, verdict.Error, verdict.Result));
        Assert.Equal((attempted, mayHaveReached), (verdict.Attempted, verdict.MayHaveReached));
        Assert.Equal(answerStatus, verdict.Answer?.Status);
        // No fault says anything of the deployment's Retry-After or balance.
        Assert.Equal((null, false, false), (verdict.RetryAfter, verdict.RateLimited, verdict.OutOfBalance));
    }

    [Fact]
    public void NoCredential_SaysTheGatewayCannotSignIn()
    {
        var answer = AttemptClassifier.ForFault(AttemptFault.NoCredential, failoverWhenUnsure: true).Answer!;

        Assert.Contains("cannot sign in", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryFault_IsClassified()
    {
        foreach (var fault in Enum.GetValues<AttemptFault>())
        {
            Assert.NotEqual(ProxyError.None, AttemptClassifier.ForFault(fault, failoverWhenUnsure: false).Error);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => AttemptClassifier.ForFault((AttemptFault)99, failoverWhenUnsure: true));
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, AttemptFault.Unreachable)]
    [InlineData(HttpRequestError.NameResolutionError, AttemptFault.Unreachable)]
    [InlineData(HttpRequestError.SecureConnectionError, AttemptFault.Unreachable)]
    [InlineData(HttpRequestError.Unknown, AttemptFault.ConnectionLost)]
    [InlineData(HttpRequestError.HttpProtocolError, AttemptFault.ConnectionLost)]
    [InlineData(HttpRequestError.ResponseEnded, AttemptFault.ConnectionLost)]
    [InlineData(HttpRequestError.InvalidResponse, AttemptFault.ConnectionLost)]
    [InlineData(HttpRequestError.ProxyTunnelError, AttemptFault.ConnectionLost)]
    [InlineData(HttpRequestError.VersionNegotiationError, AttemptFault.ConnectionLost)]
    [InlineData(HttpRequestError.ConfigurationLimitExceeded, AttemptFault.ConnectionLost)]
    public void FaultOf_IsUnreachableOnlyWhenTheRequestCannotHaveLeft(HttpRequestError error, AttemptFault fault) =>
        Assert.Equal(fault, AttemptClassifier.FaultOf(error));

    [Theory]
    // another attempt may follow (not the plan's last), stream, FailoverWhenUnsure => the attempt's own timeout
    [InlineData(true, true, true, AttemptLimit.Stream)]
    [InlineData(true, false, true, AttemptLimit.Answer)]
    [InlineData(false, true, true, AttemptLimit.None)]
    [InlineData(false, false, true, AttemptLimit.None)]
    [InlineData(true, true, false, AttemptLimit.None)]
    [InlineData(true, false, false, AttemptLimit.None)]
    [InlineData(false, true, false, AttemptLimit.None)]
    public void LimitFor_GivesAnAttemptATimeoutOnlyWhenAnotherMayFollowIt(bool anotherMayFollow, bool stream, bool failoverWhenUnsure, AttemptLimit limit) =>
        Assert.Equal(limit, AttemptClassifier.LimitFor(anotherMayFollow, stream, failoverWhenUnsure));

    [Theory]
    [InlineData(100, true, false)]
    [InlineData(200, false, false)]
    [InlineData(299, false, false)]
    [InlineData(302, false, false)]
    [InlineData(400, true, false)]
    [InlineData(429, true, true)]
    [InlineData(500, true, false)]
    [InlineData(502, true, false)]
    [InlineData(503, true, true)]
    public void ErrorAnswersAreRead_AndRetryAfterCountsFor429And503(int status, bool hasErrorAnswer, bool countsRetryAfter) =>
        Assert.Equal((hasErrorAnswer, countsRetryAfter), (AttemptClassifier.HasErrorAnswer(status), AttemptClassifier.CountsRetryAfter(status)));
}
