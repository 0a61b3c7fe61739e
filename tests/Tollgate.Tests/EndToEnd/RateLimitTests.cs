using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using OpenAI;
using OpenAI.Chat;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Per-key rate limits through the real path, read and retried by the official OpenAI .NET SDK.</summary>
public sealed class RateLimitTests
{
    private const string LimitedKey = "tg-test-ratelimited-0001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<GatewayHost> StartAsync(long rpm, long tpm) => GatewayHost.StartAsync(s =>
    {
        s["Tollgate:Keys:3:Id"] = "key-rate";
        s["Tollgate:Keys:3:Owner"] = "team-rate";
        s["Tollgate:Keys:3:Key"] = LimitedKey;
        s["Tollgate:Keys:3:RequestsPerMinute"] = rpm.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["Tollgate:Keys:3:TokensPerMinute"] = tpm.ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

    private static async Task<HttpResponseMessage> PostAsync(GatewayHost host, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonAssert.Body(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LimitedKey);
        return await host.Http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task EveryResponse_CarriesOpenAisRateLimitHeaders_AsTheSdkSeesThem()
    {
        await using var host = await StartAsync(rpm: 100, tpm: 50_000);
        var client = host.ChatClient("gpt-test", LimitedKey);

        var first = await client.CompleteChatAsync([new UserChatMessage("hello")], new ChatCompletionOptions { MaxOutputTokenCount = 100 }, Ct);
        var headers = first.GetRawResponse().Headers;
        Assert.True(headers.TryGetValue("x-ratelimit-limit-requests", out var limit) && limit == "100");
        Assert.True(headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining) && remaining == "99"); // taken before any refill counts
        Assert.True(headers.TryGetValue("x-ratelimit-reset-requests", out var reset) && reset!.EndsWith("s", StringComparison.Ordinal));
        Assert.True(headers.TryGetValue("x-ratelimit-limit-tokens", out var tokenLimit) && tokenLimit == "50000");
        Assert.True(headers.TryGetValue("x-ratelimit-remaining-tokens", out var tokensLeft));
        Assert.InRange(long.Parse(tokensLeft!, System.Globalization.CultureInfo.InvariantCulture), 49_800, 49_900); // 100 of output and the prompt's estimate
        Assert.True(headers.TryGetValue("x-ratelimit-reset-tokens", out _));

        // Settled to what the first request used: the next one sees its estimate returned.
        var second = await client.CompleteChatAsync([new UserChatMessage("hello")], new ChatCompletionOptions { MaxOutputTokenCount = 100 }, Ct);
        second.GetRawResponse().Headers.TryGetValue("x-ratelimit-remaining-tokens", out var afterSettle);
        Assert.True(long.Parse(afterSettle!, System.Globalization.CultureInfo.InvariantCulture) > 49_800);

        // A refusal before any stage that limits (a bad request) still tells the client where it stands.
        using var invalid = await PostAsync(host, """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"temperature":9}""");
        Assert.Equal((HttpStatusCode)422, invalid.StatusCode);
        Assert.Equal("100", invalid.Headers.GetValues("x-ratelimit-limit-requests").Single());
        // Two taken; the bucket refills one every 0.6 s, and the refused request took none.
        Assert.InRange(long.Parse(invalid.Headers.GetValues("x-ratelimit-remaining-requests").Single(), System.Globalization.CultureInfo.InvariantCulture), 98, 100);
    }

    [Fact]
    public async Task OverTheLimit_Is429WithRetryAfter_NothingForwarded_AndTheSdksOwnRetrySucceeds()
    {
        await using var host = await StartAsync(rpm: 60, tpm: 1_000_000);
        // Sixty go through at once; the bucket refills one a second, so on a slow machine a few more may.
        HttpResponseMessage limited;
        var served = 0;
        while (true)
        {
            var response = await PostAsync(host, """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""");
            if (response.StatusCode != HttpStatusCode.OK || served > 200)
            {
                limited = response;
                break;
            }
            response.Dispose();
            served++;
        }
        using var _ = limited;
        Assert.InRange(served, 60, 200);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        JsonAssert.AssertError(await limited.Content.ReadAsStringAsync(Ct), "rate_limit_exceeded");
        Assert.Equal("1", limited.Headers.GetValues("Retry-After").Single());
        Assert.InRange(long.Parse(limited.Headers.GetValues("retry-after-ms").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 1000);
        Assert.Equal("0", limited.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Null(await host.UpstreamRequestAsync(limited.Headers.GetValues("x-request-id").Single()));

        // The official client, with its default kind of retry policy, waits as told and gets through.
        var client = new ChatClient("gpt-test", new ApiKeyCredential(LimitedKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(host.BaseUri, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 3),
        });
        var completion = await client.CompleteChatAsync([new UserChatMessage("hello again")], cancellationToken: Ct);
        Assert.Equal(ChatFinishReason.Stop, completion.Value.FinishReason);
    }
}
