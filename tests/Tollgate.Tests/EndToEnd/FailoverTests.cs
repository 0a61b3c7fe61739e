using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Routes with several deployments through the real path: the mock upstream's fault modes decide who answers.</summary>
public sealed class FailoverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A route <paramref name="model"/> over deployments given as (upstream, upstream model, priority, weight); upstreams a, b and dead.</summary>
    private static Task<GatewayHost> StartAsync(string model, params (string Upstream, string Model, int Priority, int Weight)[] deployments) =>
        StartAsync(model, null, deployments);

    private static Task<GatewayHost> StartAsync(string model, Action<Dictionary<string, string?>>? configure, params (string Upstream, string Model, int Priority, int Weight)[] deployments) =>
        GatewayHost.StartAsync(s =>
        {
            foreach (var name in new[] { "a", "b" })
            {
                s[$"Tollgate:Upstreams:{name}:BaseUrl"] = s["Tollgate:Upstreams:mock:BaseUrl"];
                s[$"Tollgate:Upstreams:{name}:Secret"] = "sk-" + name;
                s[$"Tollgate:Upstreams:{name}:Models:unused-{name}"] = "mock";
            }
            // Nothing listens on port 1: connecting is refused at once.
            s["Tollgate:Upstreams:dead:BaseUrl"] = "http://127.0.0.1:1";
            s["Tollgate:Upstreams:dead:Secret"] = "sk-dead";
            s["Tollgate:Upstreams:dead:Models:unused-dead"] = "mock";
            for (var i = 0; i < deployments.Length; i++)
            {
                var prefix = $"Tollgate:Routes:{model}:Deployments:{i}:";
                s[prefix + "Upstream"] = deployments[i].Upstream;
                s[prefix + "Model"] = deployments[i].Model;
                s[prefix + "Priority"] = deployments[i].Priority.ToString(System.Globalization.CultureInfo.InvariantCulture);
                s[prefix + "Weight"] = deployments[i].Weight.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            s[$"Tollgate:Routes:{model}:Aliases:0"] = model + "-alias";
            s["Tollgate:Resilience:StreamAttemptTimeout"] = "00:00:00.500";
            s["Tollgate:Admin:Keys:0:Id"] = "test-admin";
            s["Tollgate:Admin:Keys:0:Key"] = GatewayHost.AdminKey;
            GatewayHost.AddPrice(s, model);
            configure?.Invoke(s);
        });

    private static async Task<(HttpStatusCode Status, string Body, UsageRecord Record, HttpResponseMessage Response)> SendAsync(GatewayHost host, string model, bool stream = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body(JsonSerializer.Serialize(new { model, stream, messages = new[] { new { role = "user", content = "hi" } } })),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        var response = await host.Http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        var record = await host.WaitForRecordAsync(response.Headers.GetValues("x-request-id").Single());
        return (response.StatusCode, body, record, response);
    }

    [Theory]
    [InlineData("mock@status=429,retry-after=7")]
    [InlineData("mock@status=503")]
    [InlineData("mock@status=503,retry-after=0")]
    [InlineData("mock@status=502")]
    public async Task AFailingFirstDeployment_FailsOverToTheNext_AndTheRecordSaysWhoServed(string failing)
    {
        await using var host = await StartAsync("gpt-fo", ("a", failing, 0, 1), ("b", "mock", 1, 1));

        var (status, body, record, _) = await SendAsync(host, "gpt-fo");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("chat.completion", body, StringComparison.Ordinal);
        Assert.Equal(("b", "mock", 2, RequestOutcome.Completed), (record.Upstream, record.UpstreamModel, record.Attempts, record.Outcome));
    }

    [Theory]
    [InlineData("mock@status=502", HttpStatusCode.BadGateway)]
    [InlineData("mock@status=504", HttpStatusCode.GatewayTimeout)]
    [InlineData("mock@status=408", HttpStatusCode.GatewayTimeout)]
    [InlineData("mock@status=503,retry-after=0", HttpStatusCode.ServiceUnavailable)]
    public async Task WithoutFailoverWhenUnsure_AnAnswerThatMayHaveRun_IsTheCallers_AndNothingElseIsTried(string failing, HttpStatusCode expected)
    {
        await using var host = await StartAsync("gpt-fo", s => s["Tollgate:Resilience:FailoverWhenUnsure"] = "false",
            ("a", failing, 0, 1), ("b", "mock", 1, 1));

        var (status, body, record, _) = await SendAsync(host, "gpt-fo");

        Assert.Equal(expected, status);
        JsonAssert.AssertError(body);
        Assert.Equal(("a", 1), (record.Upstream, record.Attempts));
        // Only a's attempt reached the mock (a and b are both the mock): b was never asked.
        Assert.Equal("Bearer sk-a", Assert.Single(await host.AllUpstreamRequestsAsync()).Headers["authorization"]);
    }

    [Fact]
    public async Task WithoutFailoverWhenUnsure_WhatSurelyDidNotRun_StillFailsOver()
    {
        await using var host = await StartAsync("gpt-fo", s =>
            {
                s["Tollgate:Resilience:FailoverWhenUnsure"] = "false";
                s["Tollgate:Resilience:MaxAttempts"] = "4";
            },
            ("dead", "mock", 0, 1), ("a", "mock@status=503,retry-after=7", 1, 1), ("b", "mock@status=429", 2, 1), ("mock", "mock", 3, 1));

        var (status, _, record, _) = await SendAsync(host, "gpt-fo");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("mock", 4), (record.Upstream, record.Attempts));
    }

    [Fact]
    public async Task ADeploymentInsideItsRetryAfter_IsSkipped_UntilItPasses()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock@status=429,retry-after=30", 0, 1), ("b", "mock", 1, 1));
        Assert.Equal(2, (await SendAsync(host, "gpt-fo")).Record.Attempts);

        // a said Retry-After: 30: the next requests go straight to b, and the alias shares a's health.
        var (_, _, second, _) = await SendAsync(host, "gpt-fo");
        var (_, _, alias, _) = await SendAsync(host, "gpt-fo-alias");
        Assert.Equal(("b", 1), (second.Upstream, second.Attempts));
        Assert.Equal(("b", 1, "gpt-fo-alias"), (alias.Upstream, alias.Attempts, alias.RequestedModel));
    }

    [Fact]
    public async Task ARefusedConnection_AndAStreamWithoutHeadersInTime_FailOver()
    {
        await using var host = await StartAsync("gpt-fo", ("dead", "mock", 0, 1), ("a", "mock@stall=5000", 1, 1), ("b", "mock", 2, 1));

        var (status, body, record, _) = await SendAsync(host, "gpt-fo", stream: true);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(("b", 3), (record.Upstream, record.Attempts));
    }

    [Fact]
    public async Task ThePlansLastAttempt_WaitsForItsDeployment_PastTheAttemptTimeout()
    {
        // The refused connection leaves a as the last deployment to try: cutting it off at 0.5 s would answer nothing.
        await using var host = await StartAsync("gpt-fo", ("dead", "mock", 0, 1), ("a", "mock@stall=1500", 1, 1));

        var (status, body, record, _) = await SendAsync(host, "gpt-fo", stream: true);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(("a", 2), (record.Upstream, record.Attempts));
    }

    [Fact]
    public async Task ANonStreamingAnswerNotInAttemptTimeout_FailsOver_WhenOneIsSet()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock@stall=5000", 0, 1), ("b", "mock", 1, 1));
        var (waited, _, _, _) = await SendAsync(host, "gpt-fo");
        Assert.Equal(HttpStatusCode.OK, waited);

        await using var quick = await GatewayHost.StartAsync(s =>
        {
            s["Tollgate:Upstreams:a:BaseUrl"] = s["Tollgate:Upstreams:mock:BaseUrl"];
            s["Tollgate:Upstreams:a:Secret"] = "sk-a";
            s["Tollgate:Upstreams:a:Models:gpt-q"] = "mock@stall=5000";
            s["Tollgate:Upstreams:mock:Models:gpt-q"] = "mock";
            s["Tollgate:Routes:gpt-q:Deployments:0:Upstream"] = "a";
            s["Tollgate:Routes:gpt-q:Deployments:1:Upstream"] = "mock";
            s["Tollgate:Routes:gpt-q:Deployments:1:Priority"] = "1";
            s["Tollgate:Resilience:AttemptTimeout"] = "00:00:00.500";
            GatewayHost.AddPrice(s, "gpt-q");
        });
        var (status, _, record, _) = await SendAsync(quick, "gpt-q");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("mock", 2), (record.Upstream, record.Attempts));
    }

    [Fact]
    public async Task WhenEveryDeploymentIsRateLimited_TheCallerGets429WithTheShortestRetryAfter()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock@status=429,retry-after=7", 0, 1), ("b", "mock@status=429,retry-after=3", 0, 1));

        var (status, body, record, response) = await SendAsync(host, "gpt-fo");

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        JsonAssert.AssertError(body, "rate_limit_exceeded");
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 2, 3);
        Assert.Equal(2, record.Attempts);

        // Both are inside their windows now: nothing is sent, and the answer is still the shortest wait.
        var (again, _, none, retry) = await SendAsync(host, "gpt-fo");
        Assert.Equal(HttpStatusCode.TooManyRequests, again);
        Assert.Equal(0, none.Attempts);
        Assert.InRange(retry.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 3);
    }

    [Fact]
    public async Task AProviderOutOfBalance_IsFailedOver_LeftOut_AndItsTextNeverShown()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock@status=402", 0, 1), ("b", "mock", 1, 1));

        var (status, body, record, _) = await SendAsync(host, "gpt-fo");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("b", 2), (record.Upstream, record.Attempts));
        Assert.Equal(1, (await SendAsync(host, "gpt-fo")).Record.Attempts);
        Assert.Single(host.Logs.Lines, l => l.EventId.Id == 1110);

        // The admin listing shows a left out until its cool-down ends, and b in rotation.
        var (listed, deployments) = await new AdminClient(host.Http).SendAsync(HttpMethod.Get, "manage/deployments");
        Assert.Equal(200, listed);
        var byName = deployments.GetProperty("data").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);
        Assert.Equal(("out_of_balance", "closed"), (byName["a/mock@status=402"].GetProperty("state").GetString(), byName["a/mock@status=402"].GetProperty("circuit").GetString()));
        Assert.NotEqual(JsonValueKind.Null, byName["a/mock@status=402"].GetProperty("out_of_balance_until").ValueKind);
        Assert.Equal("available", byName["b/mock"].GetProperty("state").GetString());
        Assert.Contains(byName["b/mock"].GetProperty("routes").EnumerateArray(), r => r.GetProperty("model").GetString() == "gpt-fo" && r.GetProperty("priority").GetInt32() == 1);

        // And so do the per-deployment gauges.
        var available = new Dictionary<string, int>();
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Tollgate.Diagnostics.TollgateMetrics.MeterName && instrument.Name == "tollgate.upstream.available")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "tollgate.deployment")
                    {
                        available[(string)tag.Value!] = value;
                    }
                }
            });
            listener.Start();
            listener.RecordObservableInstruments();
        }
        Assert.Equal(0, available["a/mock@status=402"]);
        Assert.Equal(1, available["b/mock"]);

        // With nowhere else to go, the caller gets 503 in Tollgate's words, not the provider's.
        await using var alone = await StartAsync("gpt-broke", ("a", "mock@status=402", 0, 1));
        var (refused, text, _, _) = await SendAsync(alone, "gpt-broke");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        JsonAssert.AssertError(text, "upstream_unavailable");
        Assert.DoesNotContain("balance", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task NothingIsRetriedOnceABytesWentOut_TheClientSeesTheErrorEvent()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock@drop=2,chunks=6", 0, 1), ("b", "mock", 1, 1));

        var (status, body, record, _) = await SendAsync(host, "gpt-fo", stream: true);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.Equal(("a", 1, RequestOutcome.StreamBroken), (record.Upstream, record.Attempts, record.Outcome));
    }

    [Fact]
    public async Task AClientErrorPassesThrough_WithoutFailover_AndNeverOpensTheCircuit()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock@status=400", 0, 1), ("b", "mock", 1, 1));
        for (var i = 0; i < 8; i++)
        {
            var (status, body, record, _) = await SendAsync(host, "gpt-fo");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            JsonAssert.AssertError(body, "upstream_bad_request");
            Assert.Equal(("a", 1), (record.Upstream, record.Attempts));
        }
    }

    [Fact]
    public async Task WeightsSpreadRequestsAsConfigured()
    {
        await using var host = await StartAsync("gpt-fo", ("a", "mock", 0, 3), ("b", "mock@chunks=2", 0, 1));
        var served = new Dictionary<string, int>();
        for (var i = 0; i < 400; i++)
        {
            var upstream = (await SendAsync(host, "gpt-fo")).Record.Upstream;
            served[upstream] = served.GetValueOrDefault(upstream) + 1;
        }
        // 3 to 1: a should serve 300 of 400; the binomial spread is about 9, the tolerance 50 (over five of it).
        Assert.InRange(served["a"], 250, 350);
        Assert.Equal(400, served["a"] + served["b"]);
    }

    [Fact]
    public async Task AnUpstreamsAdaptations_ReachItByteExact_AndFailoverSplicesTheBodyAgainForTheNext()
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            foreach (var name in new[] { "strict", "plain" })
            {
                s[$"Tollgate:Upstreams:{name}:BaseUrl"] = s["Tollgate:Upstreams:mock:BaseUrl"];
                s[$"Tollgate:Upstreams:{name}:Secret"] = "sk-" + name;
            }
            s["Tollgate:Upstreams:strict:Models:gpt-ad"] = "mock@status=503";
            s["Tollgate:Upstreams:strict:Adapt:Rename:max_tokens"] = "max_completion_tokens";
            s["Tollgate:Upstreams:plain:Models:gpt-ad"] = "mock";
            s["Tollgate:Upstreams:plain:Adapt:Rename:max_tokens"] = "max_completion_tokens";
            s["Tollgate:Upstreams:plain:Adapt:Drop:0"] = "top_k";
            s["Tollgate:Upstreams:plain:Adapt:ReplaceValues:reasoning_effort:minimal"] = "low";
            s["Tollgate:Upstreams:plain:Adapt:Headers:X-Tenant"] = "acme";
            s["Tollgate:Routes:gpt-ad:Deployments:0:Upstream"] = "strict";
            s["Tollgate:Routes:gpt-ad:Deployments:1:Upstream"] = "plain";
            s["Tollgate:Routes:gpt-ad:Deployments:1:Priority"] = "1";
            GatewayHost.AddPrice(s, "gpt-ad");
        });
        const string sent = """{"model":"gpt-ad", "top_k": 40,"max_tokens":100,"reasoning_effort":"minimal","messages":[{"role":"user","content":"hi","top_k":1}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonAssert.Body(sent) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = response.Headers.GetValues("x-request-id").Single();

        // The plain upstream answered, after strict's 503: its body is the client's bytes with only its adaptations and the model.
        var forwarded = await host.UpstreamRequestAsync(id);
        Assert.NotNull(forwarded);
        Assert.Equal("""{"model":"mock", "max_completion_tokens":100,"reasoning_effort":"low","messages":[{"role":"user","content":"hi","top_k":1}]}""", forwarded.Body);
        Assert.Equal("acme", forwarded.Headers["x-tenant"]);
        var record = await host.WaitForRecordAsync(id);
        Assert.Equal(("plain", 2), (record.Upstream, record.Attempts));
    }
}
