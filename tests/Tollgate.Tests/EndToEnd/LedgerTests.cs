using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Usage records through the real path into Azurite: one per request, durable across restarts and outages.</summary>
public sealed class LedgerTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage Chat(string key, string model, bool stream, string content = "hello there", string extra = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{content}}"}]{{extra}}}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static async Task<string> SendAsync(GatewayHost host, HttpRequestMessage request)
    {
        using var response = await host.Http.SendAsync(request, Ct);
        await response.Content.ReadAsStringAsync(Ct);
        return response.Headers.GetValues("x-request-id").Single();
    }

    [Fact]
    public async Task EveryKindOfRequest_LeavesExactlyOneRecord_WithTheRightFigures()
    {
        await using var host = await GatewayHost.StartAsync(null, azurite.ConnectionString, azurite.UniquePrefix());
        var admin = new AdminClient(host.Http);
        var (keyId, key) = await admin.CreateKeyAsync("team-ledger");

        var ok = await SendAsync(host, Chat(key, "gpt-reasoning", stream: false));
        var streamed = await SendAsync(host, Chat(key, "gpt-test", stream: true));
        var upstreamFailed = await SendAsync(host, Chat(key, "gpt-500", stream: false));
        var invalid = await SendAsync(host, Chat(key, "gpt-test", stream: false, extra: ",\"temperature\":7"));
        var estimated = await SendAsync(host, Chat(key, "gpt-nousage", stream: true));
        var broken = await SendAsync(host, Chat(key, "gpt-drop", stream: true));

        // A client that walks away mid-stream.
        string aborted;
        using (var response = await host.Http.SendAsync(Chat(key, "gpt-slow", stream: true), HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            aborted = response.Headers.GetValues("x-request-id").Single();
            var stream = await response.Content.ReadAsStreamAsync(Ct);
            var seen = new StringBuilder();
            var buffer = new byte[1024];
            while (!seen.ToString().Contains("tok2", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, Ct);
                Assert.True(n > 0);
                seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }

        var records = await admin.WaitForUsageAsync(keyId, 7);
        Assert.Equal(7, records.Count);
        var byId = records.ToDictionary(r => r.GetProperty("request_id").GetString()!);
        Assert.Equal(7, byId.Count);

        var r = byId[ok];
        Assert.Equal(("reported", 200, "Completed"), (r.GetProperty("source").GetString(), r.GetProperty("status").GetInt32(), r.GetProperty("outcome").GetString()));
        Assert.Equal(7, r.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(3, r.GetProperty("cached_tokens").GetInt64());
        Assert.Equal(2, r.GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal("gpt-reasoning", r.GetProperty("requested_model").GetString());
        Assert.Equal("mock@reasoning,details", r.GetProperty("upstream_model").GetString());
        Assert.Equal("team-ledger", r.GetProperty("owner").GetString());
        Assert.False(r.GetProperty("stream").GetBoolean());

        r = byId[streamed];
        Assert.Equal("reported", r.GetProperty("source").GetString());
        Assert.True(r.GetProperty("stream").GetBoolean());
        Assert.Equal(5, r.GetProperty("completion_tokens").GetInt64());
        Assert.True(r.GetProperty("time_to_first_token_ms").GetDouble() > 0);

        r = byId[upstreamFailed];
        Assert.Equal((502, "UpstreamError", "none"), (r.GetProperty("status").GetInt32(), r.GetProperty("outcome").GetString(), r.GetProperty("source").GetString()));
        Assert.Equal(0, r.GetProperty("prompt_tokens").GetInt64() + r.GetProperty("completion_tokens").GetInt64());

        r = byId[invalid];
        Assert.Equal((422, "Rejected", "invalid_parameter"), (r.GetProperty("status").GetInt32(), r.GetProperty("outcome").GetString(), r.GetProperty("error_code").GetString()));

        r = byId[estimated];
        Assert.Equal("estimated", r.GetProperty("source").GetString());
        // Counted with the model's tokenizer from what was relayed: the mock's five chunks of text.
        var counter = new Tollgate.Usage.TokenCounter(Microsoft.Extensions.Options.Options.Create(new Tollgate.Usage.TokenizerOptions()));
        Assert.Equal(counter.Count("tok0 héllo→ tok2 tok3 tok4 ", "mock@nousage"), r.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(counter.CountPrompt(Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"hello there"}]}"""), "mock@nousage"),
            r.GetProperty("prompt_tokens").GetInt64());

        r = byId[broken];
        Assert.Equal(("partial", "StreamBroken"), (r.GetProperty("source").GetString(), r.GetProperty("outcome").GetString()));
        Assert.True(r.GetProperty("completion_tokens").GetInt64() > 0);

        r = byId[aborted];
        Assert.Equal(("partial", "ClientAborted", 499), (r.GetProperty("source").GetString(), r.GetProperty("outcome").GetString(), r.GetProperty("status").GetInt32()));
        Assert.True(r.GetProperty("completion_tokens").GetInt64() > 0);
        Assert.True(r.GetProperty("prompt_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task GracefulRestart_WithRecordsInFlight_LosesNone()
    {
        var prefix = azurite.UniquePrefix();
        await using var host = await GatewayHost.StartAsync(s => s["Tollgate:Usage:FlushInterval"] = "00:00:05", azurite.ConnectionString, prefix);

        var ids = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => SendAsync(host, Chat(GatewayHost.Key, "gpt-test", stream: i % 2 == 0))));
        var usage = azurite.CreateStorage(prefix).Usage;
        Assert.True((await TableRows.ReadUsageAsync(usage)).Count < 40, "records were already written; the test would prove nothing");

        await host.StopGatewayAsync(); // drains the ledger
        var records = await TableRows.ReadUsageAsync(usage);
        Assert.Equal(ids.Order(), records.Select(r => r.RequestId).Order());

        await host.StartGatewayAsync();
        await SendAsync(host, Chat(GatewayHost.Key, "gpt-test", stream: false));
        Assert.Equal(41, (await TableRows.WaitForUsageAsync(usage, 41)).Count);
    }

    [Fact]
    public async Task StorageOutageMidTraffic_ClientsUnaffected_NothingLostNothingDoubled()
    {
        await using var storage = await AzuriteInstance.StartAsync(persistent: true);
        const string prefix = "outage";
        await using var host = await GatewayHost.StartAsync(null, storage.ConnectionString, prefix);
        var usage = storage.CreateStorage(prefix).Usage;

        var before = await Task.WhenAll(Enumerable.Range(0, 15).Select(_ => SendAsync(host, Chat(GatewayHost.Key, "gpt-test", stream: false))));
        Assert.Equal(15, (await TableRows.WaitForUsageAsync(usage, 15)).Count);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await storage.StopAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"stopped after {clock.ElapsedMilliseconds} ms");
        var during = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await host.Http.SendAsync(Chat(GatewayHost.Key, "gpt-test", stream: i % 2 == 1), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            during.Add(response.Headers.GetValues("x-request-id").Single());
        }
        for (var i = 0; i < 200 && !host.Logs.Lines.Any(l => l.EventId.Id == 3000); i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Contains(host.Logs.Lines, l => l.EventId.Id == 3000); // the ledger noticed and is retrying

        TestContext.Current.TestOutputHelper?.WriteLine($"requests done after {clock.ElapsedMilliseconds} ms");
        await storage.StartAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"restarted after {clock.ElapsedMilliseconds} ms");
        var records = await TableRows.WaitForUsageAsync(usage, 35);
        TestContext.Current.TestOutputHelper?.WriteLine($"records after {clock.ElapsedMilliseconds} ms: {records.Count}");
        foreach (var line in host.Logs.Lines.Where(l => l.EventId.Id >= 3000))
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line.Message);
        }
        Assert.Equal(before.Concat(during).Order(), records.Select(r => r.RequestId).Order());
    }

    [Fact]
    public async Task FullBuffer_DuringOutage_RefusesNewRequestsWith503_NeverServesUnbilled()
    {
        await using var storage = await AzuriteInstance.StartAsync();
        await using var host = await GatewayHost.StartAsync(s => s["Tollgate:Usage:BufferCapacity"] = "5", storage.ConnectionString, "full");
        await storage.StopAsync();

        for (var i = 0; i < 5; i++)
        {
            using var response = await host.Http.SendAsync(Chat(GatewayHost.Key, "gpt-test", stream: false), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var before = (await host.AllUpstreamRequestsAsync()).Count;
        using (var refused = await host.Http.SendAsync(Chat(GatewayHost.Key, "gpt-test", stream: true), Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            JsonAssert.AssertError(await refused.Content.ReadAsStringAsync(Ct), "metering_unavailable");
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        Assert.Equal(before, (await host.AllUpstreamRequestsAsync()).Count); // nothing was forwarded

        await storage.StartAsync();
        var usage = storage.CreateStorage("full").Usage;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200, Ct);
            using var retry = await host.Http.SendAsync(Chat(GatewayHost.Key, "gpt-test", stream: false), Ct);
            status = retry.StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((await TableRows.WaitForUsageAsync(usage, 6)).Count >= 6);
    }

    [Fact]
    public async Task StoredEntities_HoldNoPromptNoKeyNoSecret()
    {
        var prefix = azurite.UniquePrefix();
        await using var host = await GatewayHost.StartAsync(null, azurite.ConnectionString, prefix);
        var admin = new AdminClient(host.Http);
        var (keyId, secret) = await admin.CreateKeyAsync("team-sentinel");
        const string prompt = "PROMPTSENTINEL-4d2a private words";
        await SendAsync(host, Chat(secret, "gpt-test", stream: false, content: prompt));
        await SendAsync(host, Chat(secret, "gpt-drop", stream: true, content: prompt));
        await SendAsync(host, Chat(GatewayHost.Key, "gpt-402", stream: false, content: prompt));
        await SendAsync(host, Chat(secret, "gpt-test", stream: false, content: prompt, extra: ",\"top_p\":3"));
        await admin.WaitForUsageAsync(keyId, 3);

        var storage = azurite.CreateStorage(prefix);
        Assert.Equal(4, (await TableRows.WaitForUsageAsync(storage.Usage, 4)).Count);
        var rows = await TableRows.ReadAllAsync(storage.Usage);
        rows.AddRange(await TableRows.ReadAllAsync(storage.Keys));
        // Every stored byte as text (usage pages are binary: their bytes as Latin-1 and UTF-8 both), then every log line.
        var everything = string.Join("\n", rows.SelectMany(r => r.Select(p => p.Key + "=" + (p.Value is byte[] bytes
                             ? System.Text.Encoding.Latin1.GetString(bytes) + System.Text.Encoding.UTF8.GetString(bytes)
                             : Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)))))
                         + string.Join("\n", host.Logs.Lines.Select(l => l.Message));
        Assert.Contains(keyId, everything, StringComparison.Ordinal);
        foreach (var sentinel in new[] { "PROMPTSENTINEL", secret, secret[^43..], GatewayHost.Key, GatewayHost.UpstreamSecret, GatewayHost.AdminKey, "acct_secret_42", "SENTINEL", AzuriteInstance.DevelopmentKey })
        {
            Assert.DoesNotContain(sentinel, everything, StringComparison.Ordinal);
        }
    }
}
