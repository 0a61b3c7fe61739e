using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Per-key rate limits through the real path, read and retried by the official OpenAI .NET SDK.</summary>
public sealed class RateLimitTests
{
    private const string LimitedKey = "tg-test-ratelimited-0001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<GatewayHost> StartAsync(long rpm, long tpm, TimeProvider? clock = null) => GatewayHost.StartAsync(s =>
    {
        s["Tollgate:Keys:3:Id"] = "key-rate";
        s["Tollgate:Keys:3:Owner"] = "team-rate";
        s["Tollgate:Keys:3:Key"] = LimitedKey;
        s["Tollgate:Keys:3:RequestsPerMinute"] = rpm.ToString(System.Globalization.CultureInfo.InvariantCulture);
        s["Tollgate:Keys:3:TokensPerMinute"] = tpm.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }, services: clock is null ? null : s => s.AddSingleton(clock));

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
        // Half a second before the end of a minute, on the gateway's clock.
        var now = DateTimeOffset.UtcNow;
        var clock = new ManualTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 59, 500, TimeSpan.Zero));
        await using var host = await StartAsync(rpm: 60, tpm: 1_000_000, clock);
        // Sixty go through; the sixty-first waits for the next minute.
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
        Assert.Equal(60, served);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        JsonAssert.AssertError(await limited.Content.ReadAsStringAsync(Ct), "rate_limit_exceeded");
        Assert.Equal("1", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal("500", limited.Headers.GetValues("retry-after-ms").Single());
        Assert.Equal("0", limited.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("500ms", limited.Headers.GetValues("x-ratelimit-reset-requests").Single());
        Assert.Null(await host.UpstreamRequestAsync(limited.Headers.GetValues("x-request-id").Single()));

        // The official client, with its default kind of retry policy, waits as told and gets through: the gateway's clock
        // moves to the next minute when the client's first try has been refused.
        var tries = new List<int>();
        var options = new OpenAIClientOptions { Endpoint = new Uri(host.BaseUri, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 3) };
        options.AddPolicy(new AfterEachTry(status =>
        {
            tries.Add(status);
            if (status == 429)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }
        }), PipelinePosition.PerTry);
        var client = new ChatClient("gpt-test", new ApiKeyCredential(LimitedKey), options);
        var completion = await client.CompleteChatAsync([new UserChatMessage("hello again")], cancellationToken: Ct);
        Assert.Equal(ChatFinishReason.Stop, completion.Value.FinishReason);
        Assert.Equal([429, 200], tries);
    }

    /// <summary>A pipeline policy that reports each try's status once its response is in.</summary>
    private sealed class AfterEachTry(Action<int> seen) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            ProcessNext(message, pipeline, currentIndex);
            seen(message.Response!.Status);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            await ProcessNextAsync(message, pipeline, currentIndex);
            seen(message.Response!.Status);
        }
    }
}
