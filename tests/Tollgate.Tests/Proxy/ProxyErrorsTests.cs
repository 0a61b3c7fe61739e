using Tollgate.Proxy;
using Tollgate.Usage;

namespace Tollgate.Tests.Proxy;

/// <summary>The one map from a failed stage to its answer and outcome.</summary>
public sealed class ProxyErrorsTests
{
    [Theory]
    [InlineData(ProxyError.UpstreamUnreachable, 502, "upstream_unreachable", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamConnectionFailed, 502, "upstream_connection_failed", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamTimeout, 504, "upstream_timeout", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamRedirect, 502, "upstream_error", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamFailed, 502, "upstream_error", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamResponseNotJson, 502, "upstream_error", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamResponseInvalidJson, 502, "upstream_error", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamResponseTooLarge, 502, "upstream_response_too_large", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamResponseNotStream, 502, "upstream_error", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.UpstreamBodyBroken, 502, "upstream_stream_broken", RequestOutcome.StreamBroken)]
    [InlineData(ProxyError.StreamIdleTimeout, 504, "upstream_timeout", RequestOutcome.StreamBroken)]
    [InlineData(ProxyError.StreamBroken, 502, "upstream_stream_broken", RequestOutcome.StreamBroken)]
    [InlineData(ProxyError.StreamErrorEvent, 502, "upstream_stream_error", RequestOutcome.UpstreamError)]
    [InlineData(ProxyError.ClientAborted, 499, "client_aborted", RequestOutcome.ClientAborted)]
    [InlineData(ProxyError.Internal, 500, "internal_error", RequestOutcome.UpstreamError)]
    public void EachStage_HasOneStatusCodeAndOutcome(ProxyError error, int status, string code, RequestOutcome outcome)
    {
        var answer = ProxyErrors.Answer(error);
        Assert.Equal((status, code), (answer.Status, answer.Code));
        Assert.Equal(outcome, ProxyErrors.Outcome(error));
    }

    [Fact]
    public void EveryStage_IsMapped()
    {
        foreach (var error in Enum.GetValues<ProxyError>().Where(e => e is not ProxyError.None and not ProxyError.RequestRejected))
        {
            Assert.False(string.IsNullOrEmpty(ProxyErrors.Answer(error).Message), error.ToString());
        }
        Assert.Throws<ArgumentException>(() => ProxyErrors.Answer(ProxyError.RequestRejected));
        Assert.Equal(RequestOutcome.Rejected, ProxyErrors.Outcome(ProxyError.RequestRejected));
    }
}
