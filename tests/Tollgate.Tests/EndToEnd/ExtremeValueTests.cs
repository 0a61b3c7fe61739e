using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// Output limits at the edges of a 64-bit integer, through the real path (RELIABILITY #40): a product that would
/// wrap must still be more than a budget or a token limit holds, and nothing is forwarded.
/// </summary>
public sealed class ExtremeValueTests
{
    private const string LimitedKey = "tg-test-extreme-tpm-0001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<GatewayHost> StartAsync() => GatewayHost.StartAsync(s =>
    {
        s["Tollgate:Keys:0:Budget:Amount"] = "0.001";
        s["Tollgate:Keys:3:Id"] = "key-tpm";
        s["Tollgate:Keys:3:Owner"] = "team-tpm";
        s["Tollgate:Keys:3:Key"] = LimitedKey;
        s["Tollgate:Keys:3:TokensPerMinute"] = "2000";
    });

    private static async Task<HttpResponseMessage> PostAsync(GatewayHost host, string key, string field, string value, int n)
    {
        var body = $$"""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"{{field}}":{{value}},"n":{{n}}}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonAssert.Body(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await host.Http.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData("max_tokens", "4611686018427387904", 2)] // 2^62 × 2 wraps to long.MinValue
    [InlineData("max_tokens", "4611686018427387904", 4)] // 2^62 × 4 wraps to 0
    [InlineData("max_completion_tokens", "9223372036854775807", 128)]
    [InlineData("max_completion_tokens", "3074457345618258603", 3)] // wraps to a small positive number
    public async Task AnOutputLimitTimesChoicesBeyondLong_IsRefusedByABudgetAndATokenLimit_NotForwarded(string field, string value, int n)
    {
        await using var host = await StartAsync();

        using (var overBudget = await PostAsync(host, GatewayHost.Key, field, value, n))
        {
            var body = await overBudget.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.PaymentRequired, overBudget.StatusCode);
            JsonAssert.AssertError(body, "insufficient_quota");
            Assert.Null(await host.UpstreamRequestAsync(overBudget.Headers.GetValues("x-request-id").Single()));
        }

        using (var overLimit = await PostAsync(host, LimitedKey, field, value, n))
        {
            var body = await overLimit.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.TooManyRequests, overLimit.StatusCode);
            var error = JsonAssert.AssertError(body, "rate_limit_exceeded");
            Assert.Contains("Request too large", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Null(await host.UpstreamRequestAsync(overLimit.Headers.GetValues("x-request-id").Single()));
            var remaining = long.Parse(overLimit.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), CultureInfo.InvariantCulture);
            Assert.InRange(remaining, 0, 2000);
        }

        // The limit still holds afterwards: an ordinary request fits and leaves the bucket below its limit.
        using var ordinary = await PostAsync(host, LimitedKey, "max_tokens", "100", 1);
        Assert.Equal(HttpStatusCode.OK, ordinary.StatusCode);
        Assert.InRange(long.Parse(ordinary.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), CultureInfo.InvariantCulture), 0, 1900);
        Assert.Single(await host.AllUpstreamRequestsAsync());
    }

    [Fact]
    public async Task AnOutputLimitBeyondAnyInteger_IsA4xx()
    {
        await using var host = await StartAsync();
        foreach (var value in new[] { "9223372036854775808", "1e308", "-9223372036854775808", "1.5" })
        {
            using var response = await PostAsync(host, LimitedKey, "max_tokens", value, 1);
            Assert.InRange((int)response.StatusCode, 400, 499);
        }
        Assert.Empty(await host.AllUpstreamRequestsAsync());
    }
}
