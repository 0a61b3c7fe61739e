using System.Net.Http.Headers;
using System.Text;
using Tollgate.Errors;
using Tollgate.Upstreams;

namespace Tollgate.Tests.Upstreams;

public sealed class UpstreamErrorMapperTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly Upstream Provider = new("p", new UpstreamOptions { BaseUrl = "https://api.example.com", Secret = "sk-live-SECRET123456" });

    private static ApiError Map(int status, string body, RetryConditionHeaderValue? retry = null) =>
        UpstreamErrorMapper.Map(status, Encoding.UTF8.GetBytes(body), retry, Provider, Now);

    [Theory]
    [InlineData(400, 400)]
    [InlineData(401, 502)]
    [InlineData(403, 502)]
    [InlineData(402, 503)]
    [InlineData(404, 502)]
    [InlineData(408, 504)]
    [InlineData(413, 413)]
    [InlineData(422, 422)]
    [InlineData(429, 429)]
    [InlineData(500, 502)]
    [InlineData(502, 502)]
    [InlineData(503, 503)]
    [InlineData(504, 504)]
    public void StatusMapping(int upstream, int expected) =>
        Assert.Equal(expected, Map(upstream, """{"error":{"message":"x"}}""").Status);

    [Fact]
    public void ClientErrors_KeepTheProviderExplanation_ScrubbedOfUrlsAndSecrets()
    {
        var error = Map(400, """{"error":{"message":"Context too long (9000 > 8192). Docs: https://docs.example.com/x key sk-live-SECRET123456 and sk-other_abcdefghijkl"}}""");
        Assert.Contains("Context too long (9000 > 8192)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET123456", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdefghijkl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BalanceErrors_NeverReachTheCaller()
    {
        var error = Map(402, """{"error":{"message":"Your balance is $0.00 on account acct_9"}}""");
        Assert.DoesNotContain("balance", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("acct_9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryAfter_SecondsAndDates_BecomeSeconds()
    {
        Assert.Equal(7, Map(429, "{}", new RetryConditionHeaderValue(TimeSpan.FromSeconds(7))).RetryAfterSeconds);
        Assert.Equal(30, Map(429, "{}", new RetryConditionHeaderValue(Now.AddSeconds(30))).RetryAfterSeconds);
        Assert.Equal(1, Map(429, "{}").RetryAfterSeconds);
        Assert.Equal(3, Map(503, "{}", new RetryConditionHeaderValue(TimeSpan.FromSeconds(3))).RetryAfterSeconds);
    }

    [Fact]
    public void EnvelopeCodeInsideA200_DecidesTheStatus()
    {
        Assert.Equal(429, Map(200, """{"success":false,"code":"429","message":"slow down","data":null}""").Status);
        Assert.Equal(422, Map(200, """{"success":false,"code":422,"message":"bad temperature","data":null}""").Status);
    }

    [Fact]
    public void NonJsonBodies_AreHandled() => Assert.Equal(502, Map(500, "<html>oops</html>").Status);
}
