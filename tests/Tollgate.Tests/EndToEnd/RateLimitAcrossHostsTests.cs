using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// Requests and tokens per minute held across standalone hosts on one Azurite: the hosts' own stack (Kestrel, the
/// mock upstream, the shared quota accounts in Table Storage), on one fake clock so that a minute of traffic takes
/// seconds; and a host killed outright while it holds an allowance.
/// </summary>
public sealed class RateLimitAcrossHostsTests(AzuriteFixture azurite)
{
    private const string RateKey = "tg-test-ratelimited-0001";
    private const long Rpm = 120, Tpm = 20_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Configure(Dictionary<string, string?> s)
    {
        s["Tollgate:Keys:3:Id"] = "key-rate";
        s["Tollgate:Keys:3:Owner"] = "team-rate";
        s["Tollgate:Keys:3:Key"] = RateKey;
        s["Tollgate:Keys:3:RequestsPerMinute"] = Rpm.ToString(CultureInfo.InvariantCulture);
        s["Tollgate:Keys:3:TokensPerMinute"] = Tpm.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The start of the next whole minute: the fake clock's minute is a real one, so records and leases look as they would.</summary>
    private static DateTimeOffset NextMinute()
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(1);
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
    }

    /// <summary>Three hosts on one Azurite prefix and one fake clock, which starts at the next whole minute.</summary>
    private async Task<(DateTimeOffset Start, ManualTimeProvider Clock, string Prefix, GatewayHost[] Hosts)> StartThreeHostsAsync()
    {
        var start = NextMinute();
        var clock = new ManualTimeProvider(start);
        var prefix = azurite.UniquePrefix();
        var hosts = new GatewayHost[3];
        for (var i = 0; i < hosts.Length; i++)
        {
            hosts[i] = await GatewayHost.StartAsync(Configure, azurite.ConnectionString, prefix, s => s.AddSingleton<TimeProvider>(clock));
        }
        return (start, clock, prefix, hosts);
    }

    private static HttpRequestMessage Chat(string content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new
            {
                model = "gpt-test",
                max_completion_tokens = 10,
                messages = new[] { new { role = "user", content } },
            })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RateKey);
        return request;
    }

    /// <summary>
    /// 600 requests in one minute, spread at random over three hosts or all on one: small ones, which meet the request
    /// limit first, or ones with a 1,000-byte prompt (about 270 tokens each), which meet the token limit first. What is
    /// admitted never passes either limit (every request set its output limit, and its estimate covers its prompt, so the
    /// stated bound above the limit is zero) and reaches the limit that binds, less at most one allowance (requests) or
    /// two requests' estimates (tokens); the shared account holds exactly what the hosts served.
    /// </summary>
    [Theory]
    [InlineData(3, "requests")]
    [InlineData(1, "requests")]
    [InlineData(3, "tokens")]
    [InlineData(1, "tokens")]
    public async Task SixHundredRequestsInAMinute_OverThreeHostsOrOne_StayWithinTheKeysLimits_AndReachThem(int busyHosts, string binding)
    {
        var (start, clock, prefix, hosts) = await StartThreeHostsAsync();
        try
        {
            var content = binding == "tokens" ? new string('x', 1000) : "hi";
            var random = new Random(busyHosts * 31 + binding.Length);
            long admitted = 0, tokens = 0, refused = 0;
            for (var i = 0; i < 600; i++)
            {
                var host = hosts[busyHosts == 1 ? 0 : random.Next(hosts.Length)];
                using var response = await host.Http.SendAsync(Chat(content), Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    admitted++;
                    tokens += JsonDocument.Parse(body).RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64();
                }
                else
                {
                    Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                    JsonAssert.AssertError(body, "rate_limit_exceeded");
                    Assert.NotNull(response.Headers.RetryAfter);
                    refused++;
                }
                // 100 ms of the gateway's clock per request: the hosts' flushers report and renew every 2 s of it.
                clock.Advance(TimeSpan.FromMilliseconds(99.9));
            }
            Assert.True(clock.GetUtcNow() < start.AddMinutes(1));

            Assert.InRange(admitted, 1, Rpm);
            Assert.InRange(tokens, 1, Tpm);
            Assert.Equal(600, admitted + refused);
            if (binding == "requests")
            {
                // One allowance: a tenth of the limit.
                Assert.InRange(admitted, Rpm - Rpm / 10, Rpm);
            }
            else
            {
                Assert.InRange(tokens, Tpm - 2 * 300, Tpm);
            }

            // Stopped gracefully, every host reports what it served and gives its allowance back.
            foreach (var host in hosts)
            {
                await host.StopGatewayAsync();
            }
            var account = await new TableQuotaStore(azurite.CreateStorage(prefix))
                .ReadAsync(new QuotaAccountId(BudgetScope.Key, "key-rate", BudgetWindow.Of(BudgetPeriod.Minute, start)), Ct);
            Assert.NotNull(account);
            Assert.Equal(new QuotaAmount(admitted, tokens), account.Spent);
            Assert.Equal(QuotaAmount.Zero, account.Held);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The official SDK on each of three hosts, one request per host per round and 2 s of the clock between rounds: the
    /// hosts' remaining requests and tokens agree with what the key really has left within the stated precision (what the
    /// other two hosts hold unused, at most a tenth of the limit each), and their resets are the same.
    /// </summary>
    [Fact]
    public async Task RateLimitHeaders_ThroughTheSdkOnEveryHost_AgreeWithinTheStatedPrecision()
    {
        var (start, clock, prefix, hosts) = await StartThreeHostsAsync();
        try
        {
            var clients = hosts.Select(h => h.ChatClient("gpt-test", RateKey)).ToArray();
            long requests = 0, tokens = 0;
            for (var round = 0; round < 10; round++)
            {
                var resets = new List<string>();
                foreach (var client in clients)
                {
                    var completion = await client.CompleteChatAsync([new UserChatMessage("hello")], new ChatCompletionOptions { MaxOutputTokenCount = 10 }, Ct);
                    requests++;
                    tokens += completion.Value.Usage.TotalTokenCount;
                    var headers = completion.GetRawResponse().Headers;
                    long Header(string name) => headers.TryGetValue(name, out var value) ? long.Parse(value!, CultureInfo.InvariantCulture) : -1;
                    Assert.Equal(Rpm, Header("x-ratelimit-limit-requests"));
                    Assert.Equal(Tpm, Header("x-ratelimit-limit-tokens"));
                    // Precision: the other two hosts' unused allowances, each at most a tenth of the limit.
                    Assert.InRange(Header("x-ratelimit-remaining-requests"), Rpm - requests - 2 * (Rpm / 10), Rpm - requests + 2 * (Rpm / 10));
                    // Tokens: this request's own estimate is still held when the headers are written (its prompt and its 10 of output).
                    Assert.InRange(Header("x-ratelimit-remaining-tokens"), Tpm - tokens - 2 * (Tpm / 10) - 100, Tpm - tokens + 2 * (Tpm / 10) + 100);
                    headers.TryGetValue("x-ratelimit-reset-requests", out var reset);
                    resets.Add(reset!);
                }
                Assert.Single(resets.Distinct());
                Assert.Equal(RateLimitHeaders.Duration(start.AddMinutes(1) - clock.GetUtcNow()), resets[0]);
                clock.Advance(TimeSpan.FromSeconds(2));
                await Task.Delay(50, Ct); // the flushers' exchanges, which the clock's tick started
            }
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A host killed (kill -9) while busy, holding an allowance of the key's minute: the survivor is refused at the limit
    /// less what the dead host reported and held while its lease lives, and once the lease expired the survivor's next
    /// exchange gives the held allowance back, so the key's whole limit is served within the minute (the survivor's count
    /// before the lease expires is checked when the machine was quick enough to finish within it).
    /// </summary>
    [Fact]
    public async Task AHostKilledHoldingAnAllowance_HasItGivenBack_WhenItsLeaseExpires()
    {
        // Real time across two processes: start early in a minute, so that the test's few seconds stay within it.
        while (DateTimeOffset.UtcNow.Second >= 25)
        {
            await Task.Delay(500, Ct);
        }
        var prefix = azurite.UniquePrefix();
        void Settings(Dictionary<string, string?> s)
        {
            Configure(s);
            s["Tollgate:Keys:3:RequestsPerMinute"] = "100";
            s["Tollgate:Keys:3:TokensPerMinute"] = "1000000";
            s["Tollgate:Quota:FlushInterval"] = "00:00:00.500";
            s["Tollgate:Quota:RateLimitLeaseDuration"] = "00:00:06";
        }
        await using var survivor = await GatewayHost.StartAsync(Settings, azurite.ConnectionString, prefix);
        var settings = new Dictionary<string, string?>();
        Settings(settings);
        settings["Tollgate:Storage:ConnectionString"] = azurite.ConnectionString;
        settings["Tollgate:Storage:TablePrefix"] = prefix;
        settings["Tollgate:Upstreams:mock:BaseUrl"] = survivor.MockUri.ToString();
        settings["Tollgate:Upstreams:mock:Secret"] = GatewayHost.UpstreamSecret;
        settings["Tollgate:Upstreams:mock:Models:gpt-test"] = GatewayHost.Models["gpt-test"];
        GatewayHost.AddPrice(settings, "gpt-test");
        var port = StandaloneProcess.FreePort();
        using var doomed = StandaloneProcess.Start(port, settings);
        var store = new TableQuotaStore(azurite.CreateStorage(prefix));
        QuotaAccountId minute;
        AccountState? atDeath;
        var doomedSent = 0; // requests sent to it: one in flight when it dies may have been served and reported, unanswered
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            await StandaloneProcess.WaitHealthyAsync(http, Ct);
            minute = new QuotaAccountId(BudgetScope.Key, "key-rate", BudgetWindow.Of(BudgetPeriod.Minute, DateTimeOffset.UtcNow));
            // Busy until it dies (an idle host gives its allowance back by itself): a request every 50 ms.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var traffic = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref doomedSent);
                    using var response = await http.SendAsync(Chat("hi"), stop.Token);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    await Task.Delay(50, stop.Token);
                }
            }, Ct);
            // Its flusher reports what it served every half second and keeps its allowance while busy.
            AccountState? held = null;
            for (var i = 0; i < 50 && held is not { Spent.Money: >= 3, Held.Money: > 0 }; i++)
            {
                await Task.Delay(100, Ct);
                held = await store.ReadAsync(minute, Ct);
            }
            Assert.True(held is { Spent.Money: >= 3, Held.Money: > 0 }, $"the doomed host holds an allowance: {held}");

            doomed.Kill(entireProcessTree: true);
            await doomed.WaitForExitAsync(Ct);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => traffic);
            atDeath = await store.ReadAsync(minute, Ct);
        }
        finally
        {
            if (!doomed.HasExited)
            {
                doomed.Kill(entireProcessTree: true);
            }
        }
        Assert.NotNull(atDeath);
        Assert.True(atDeath.Held.Money > 0);
        // What it served after its last report is lost with it (part of the stated bound); the rest is spent in the account.
        Assert.InRange(atDeath.Spent.Money, 3, doomedSent);

        // Eight clients at once until every one is refused: quick, so that it ends while the dead host's lease lives.
        async Task<int> ServeUntilRefusedAsync()
        {
            var served = 0;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                while (true)
                {
                    using var response = await survivor.Http.SendAsync(Chat("hi"), Ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                        return;
                    }
                    Interlocked.Increment(ref served);
                }
            }));
            return served;
        }
        var killedAt = Stopwatch.GetTimestamp();
        var before = await ServeUntilRefusedAsync();
        var beforeTook = Stopwatch.GetElapsedTime(killedAt);
        if (beforeTook < TimeSpan.FromSeconds(4))
        {
            // Well within the lease (6 s from its last renewal, at most half a second before the kill): the dead host's
            // allowance is still held, so the survivor stops at the limit less what the dead host spent and holds.
            Assert.True(100 - atDeath.Spent.Money - atDeath.Held.Money == before, $"served {before} after {atDeath} of {doomedSent} sent, in {beforeTook}");
        }

        // Past the lease and the survivor's last refusal (one FlushInterval): the held allowance comes back, and in all the
        // survivor serves the limit less what the dead host reported spent.
        await Task.Delay(6_500, Ct);
        var after = await ServeUntilRefusedAsync();
        Assert.Equal(100 - atDeath.Spent.Money, before + after);
        Assert.Equal(minute.Window.Key, BudgetWindow.Of(BudgetPeriod.Minute, DateTimeOffset.UtcNow).Key);
        var account = await store.ReadAsync(minute, Ct);
        Assert.NotNull(account);
        Assert.Equal(100m, account.Spent.Money + account.Held.Money);
    }
}
