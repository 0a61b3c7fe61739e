using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenAI.Chat;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Key and owner budgets through the real path: Kestrel, the mock upstream, the OpenAI SDK, Azurite, and hosts that die.</summary>
public sealed class BudgetTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A streaming model slow enough that requests overlap: five chunks 100 ms apart, a handful of completion tokens.</summary>
    private const string SlowStream = "mock@chunks=5,delay=100";

    private static HttpRequestMessage Chat(string model, bool stream, int maxCompletionTokens)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new
            {
                model,
                stream,
                max_completion_tokens = maxCompletionTokens,
                messages = new[] { new { role = "user", content = "hi" } },
            })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        return request;
    }

    private static void KeyBudget(Dictionary<string, string?> s, decimal amount, string mode = "hard")
    {
        s["Tollgate:Keys:0:Budget:Amount"] = amount.ToString(CultureInfo.InvariantCulture);
        s["Tollgate:Keys:0:Budget:Mode"] = mode;
    }

    private static QuotaAccountId Account(string keyId) => new(BudgetScope.Key, keyId, BudgetWindow.Of(BudgetPeriod.Month, DateTimeOffset.UtcNow));

    [Fact]
    public async Task OverAHardBudget_TheSdkGets402InsufficientQuota_NothingIsForwarded_AndOneRejectedRecordIsKept()
    {
        await using var host = await GatewayHost.StartAsync(s => KeyBudget(s, 0.001m));

        // Fits: at most 10 output tokens is far below the budget.
        var client = host.ChatClient("gpt-test");
        var first = await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 10 }, Ct);
        Assert.NotEmpty(first.Value.Content);

        // Does not fit: 1,000 output tokens at 2.00 per million may cost 0.002, more than the budget.
        var refused = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 1000 }, Ct));
        Assert.Equal(402, refused.Status);

        using var response = await host.Http.SendAsync(Chat("gpt-test", stream: true, 1000), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var error = JsonAssert.AssertError(body, "insufficient_quota");
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith("This key's monthly budget of 0.001 USD has 0.000", message, StringComparison.Ordinal);
        Assert.Contains("this request may cost up to 0.002", message, StringComparison.Ordinal);
        var nextMonth = new DateTimeOffset(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        Assert.Contains($"It resets at {nextMonth.UtcDateTime:yyyy-MM-dd}T00:00:00Z.", message, StringComparison.Ordinal);

        var id = response.Headers.GetValues("x-request-id").Single();
        Assert.Null(await host.UpstreamRequestAsync(id));
        var record = await host.WaitForRecordAsync(id);
        Assert.Equal((Tollgate.Usage.RequestOutcome.Rejected, 402, "insufficient_quota", 0L, 0m),
            (record.Outcome, record.Status, record.ErrorCode, record.TotalTokens, record.Cost));
        // Only the first request reached the upstream.
        var forwarded = Assert.Single(await host.AllUpstreamRequestsAsync());
        Assert.Contains("\"max_completion_tokens\":10", forwarded.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverASoftBudget_RequestsAreServed_WithAWarningHeader_AndTheOverrunIsLoggedOnce()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            KeyBudget(s, 0.00001m, "soft");
            s["Tollgate:Quota:OwnerBudgets:team-a:Amount"] = "100";
        });

        for (var i = 0; i < 4; i++)
        {
            using var response = await host.Http.SendAsync(Chat("gpt-test", stream: i % 2 == 0, 1000), Ct);
            await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("key", response.Headers.GetValues("x-tollgate-budget-exceeded").Single());
        }
        // "Used up" once what was spent reaches the limit: the next flush reports it (bounded wait).
        for (var i = 0; i < 100 && !host.Logs.Lines.Any(l => l.EventId.Id == 5000); i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Single(host.Logs.Lines, l => l.EventId.Id == 5000);
        Assert.Equal(4, (await host.AllUpstreamRequestsAsync()).Count);
    }

    [Fact]
    public async Task FiftyStreamsThroughTwoHostsOnOneStorage_StayWithinTheBudget_AndTheAccountSettlesToTheExactSpend()
    {
        const decimal budget = 0.003m;
        var prefix = azurite.UniquePrefix();
        void Configure(Dictionary<string, string?> s)
        {
            s["Tollgate:Upstreams:mock:Models:gpt-budget"] = SlowStream;
            GatewayHost.AddPrice(s, "gpt-budget");
            KeyBudget(s, budget);
        }
        await using var a = await GatewayHost.StartAsync(Configure, azurite.ConnectionString, prefix);
        await using var b = await GatewayHost.StartAsync(Configure, azurite.ConnectionString, prefix);

        // Each may cost about 0.0002 (its prompt and 100 output tokens), so about 14 fit at once; each really costs far less.
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var host = i % 2 == 0 ? a : b;
            using var response = await host.Http.SendAsync(Chat("gpt-budget", stream: true, 100), HttpCompletionOption.ResponseHeadersRead, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
                JsonAssert.AssertError(body, "insufficient_quota");
            }
            return response.StatusCode;
        }));
        var served = results.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(served, 10, 49);
        Assert.Contains(HttpStatusCode.PaymentRequired, results);

        // Graceful stops report every instance's spending and give back its allowance; the ledgers drain.
        await a.StopGatewayAsync();
        await b.StopGatewayAsync();
        var storage = azurite.CreateStorage(prefix);
        var records = (await TableRows.ReadUsageAsync(storage.Usage)).Where(r => r.KeyId == "key-main").ToList();
        Assert.Equal(50, records.Count);
        Assert.Equal(served, records.Count(r => r.Status == 200));
        var account = await new TableQuotaStore(storage).ReadAsync(Account("key-main"), Ct);
        Assert.NotNull(account);
        // Every request set max_completion_tokens and its prompt is within the margin, so the stated bound is zero:
        // the spend never passes the budget, and the account holds exactly what the records cost.
        Assert.Equal(records.Sum(r => r.Cost), account.Spent.Money);
        Assert.Equal(records.Sum(r => r.TotalTokens), account.Spent.Tokens);
        Assert.True(account.Spent.Money <= budget, $"spent {account.Spent.Money} of {budget}");
        Assert.Equal(QuotaAmount.Zero, account.Held);
    }

    [Fact]
    public async Task AHostKilledMidRequest_HasItsReservationReleasedByTheTimer_AfterItsLeaseExpires()
    {
        var prefix = azurite.UniquePrefix();
        void Configure(Dictionary<string, string?> s)
        {
            s["Tollgate:Upstreams:mock:Models:gpt-long"] = "mock@chunks=400,delay=50";
            GatewayHost.AddPrice(s, "gpt-long");
            KeyBudget(s, 1m);
            s["Tollgate:Quota:FlushInterval"] = "00:00:00.500";
            s["Tollgate:Quota:LeaseDuration"] = "00:00:03";
        }
        await using var survivor = await GatewayHost.StartAsync(Configure, azurite.ConnectionString, prefix);
        var settings = new Dictionary<string, string?>();
        Configure(settings);
        // The doomed host: the standalone host as its own process, on the same storage and the survivor's mock upstream.
        settings["Tollgate:Storage:ConnectionString"] = azurite.ConnectionString;
        settings["Tollgate:Storage:TablePrefix"] = prefix;
        settings["Tollgate:Upstreams:mock:BaseUrl"] = survivor.MockUri.ToString();
        settings["Tollgate:Upstreams:mock:Secret"] = GatewayHost.UpstreamSecret;
        settings["Tollgate:Keys:0:Id"] = "key-main";
        settings["Tollgate:Keys:0:Owner"] = "team-a";
        settings["Tollgate:Keys:0:Key"] = GatewayHost.Key;
        var port = StandaloneProcess.FreePort();
        using var doomed = StandaloneProcess.Start(port, settings);
        var store = new TableQuotaStore(azurite.CreateStorage(prefix));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            await StandaloneProcess.WaitHealthyAsync(http, Ct);
            using var response = await http.SendAsync(Chat("gpt-long", stream: true, 500), HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            while (await reader.ReadLineAsync(Ct) is { } line && !line.StartsWith("data: {", StringComparison.Ordinal))
            {
            }
            var held = await store.ReadAsync(Account("key-main"), Ct);
            Assert.True(held is { Held.Money: > 0 }, "the request in flight holds its reservation");

            doomed.Kill(entireProcessTree: true);
            await doomed.WaitForExitAsync(Ct);
        }
        finally
        {
            if (!doomed.HasExited)
            {
                doomed.Kill(entireProcessTree: true);
            }
        }

        // The survivor's timer (here: the admin call that runs it) releases the lease once it expired.
        var admin = new AdminClient(survivor.Http);
        var released = 0;
        AccountState? account = null;
        for (var i = 0; i < 60 && account?.Held != QuotaAmount.Zero; i++)
        {
            await Task.Delay(250, Ct);
            var (status, run) = await admin.SendAsync(HttpMethod.Post, "manage/billing/aggregate");
            Assert.Equal(200, status);
            released += run.GetProperty("leases_released").GetInt32();
            account = await store.ReadAsync(Account("key-main"), Ct);
        }
        Assert.Equal(1, released);
        // Released, not spent: the request never finished, so nothing is charged to the budget for it.
        Assert.Equal(new AccountState(QuotaAmount.Zero, QuotaAmount.Zero, false), account);
    }

    [Fact]
    public async Task ARequestLargerThanWhatIsLeft_IsRefused_AndLoggedAsSuch_NotAsABudgetUsedUp()
    {
        // 100 with nothing spent: a request whose worst case is more than 100 is refused, and the budget is not used up.
        await using var host = await GatewayHost.StartAsync(s => KeyBudget(s, 100m, "hard"));

        using var refused = await host.Http.SendAsync(Chat("gpt-test", stream: false, 200_000_000), Ct);
        Assert.Equal((HttpStatusCode)402, refused.StatusCode);
        using var served = await host.Http.SendAsync(Chat("gpt-test", stream: false, 1000), Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);

        Assert.DoesNotContain(host.Logs.Lines, l => l.EventId.Id == 5000);
        var line = Assert.Single(host.Logs.Lines, l => l.EventId.Id == 5005);
        Assert.Contains("not used up", line.Message, StringComparison.Ordinal);
    }
}
