using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>Raw HTTP against the gateway: what SDKs hide (envelopes, reasoning_content, exact SSE bytes, headers).</summary>
public sealed class RawHttpTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> PostAsync(string json, string path = "v1/chat/completions", string? key = GatewayHost.Key,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool closeConnection = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonAssert.Body(json) };
        // A refused oversized body is never read, so the server closes that connection; don't pool it.
        request.Headers.ConnectionClose = closeConnection;
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return await Host.Http.SendAsync(request, completion, Ct);
    }

    private static string RequestIdOf(HttpResponseMessage response) => response.Headers.GetValues("x-request-id").Single();

    /// <summary>Reads an SSE body into its data payloads.</summary>
    private static List<string> DataLines(string body) =>
        body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()).ToList();

    [Fact]
    public async Task Envelope_NonStreaming_IsUnwrappedToPlainOpenAiBody_OverApiV1AndApiKeyHeader()
    {
        using var response = await PostAsync("""{"model":"env-model","messages":[{"role":"user","content":"hello"}]}""", "api/v1/chat/completions");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = JsonAssert.Parse(body);
        Assert.False(root.TryGetProperty("success", out _));
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal(3, root.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());

        var upstream = await Host.UpstreamRequestAsync(RequestIdOf(response));
        Assert.NotNull(upstream);
        Assert.Equal("/api/v1/chat/completions", upstream.Path);
        Assert.Equal(GatewayHost.EnvelopeSecret, upstream.Headers["api-key"]);
        Assert.False(upstream.Headers.ContainsKey("authorization"));

        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(3, record.CachedTokens);
    }

    [Theory]
    [InlineData("env-429", 429)]
    [InlineData("env-402", 503)]
    public async Task Envelope_Errors_AreMappedToOpenAiErrors_WithoutProviderText(string model, int status)
    {
        using var response = await PostAsync($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hello"}]}""");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(status, (int)response.StatusCode);
        JsonAssert.AssertError(body);
        Assert.DoesNotContain("acct_secret_42", body, StringComparison.Ordinal);
        Assert.DoesNotContain("billing.example.com", body, StringComparison.Ordinal);
        if (status == 429)
        {
            Assert.Equal(TimeSpan.FromSeconds(4), response.Headers.RetryAfter?.Delta);
        }
    }

    [Fact]
    public async Task NonStreaming_ReasoningContent_IsRelayed()
    {
        using var response = await PostAsync("""{"model":"gpt-reasoning","messages":[{"role":"user","content":"think"}],"thinking":{"type":"enabled"}}""");
        var body = JsonAssert.Parse(await response.Content.ReadAsStringAsync(Ct));
        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("Thinking it over. ", message.GetProperty("reasoning_content").GetString());
        Assert.Equal(2, body.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_WithoutIncludeUsage_DropsTheUsageChunk_ButStillMetersReportedUsage()
    {
        using var response = await PostAsync("""{"model":"gpt-reasoning","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var data = DataLines(body);
        Assert.Equal("[DONE]", data[^1]);
        Assert.DoesNotContain(data, d => d.Contains("\"usage\"", StringComparison.Ordinal));
        Assert.Contains(data, d => d.Contains("\"reasoning_content\":\"Thinking \"", StringComparison.Ordinal));

        var upstream = await Host.UpstreamRequestAsync(RequestIdOf(response));
        Assert.Contains("\"stream_options\":{\"include_usage\":true}", upstream!.Body, StringComparison.Ordinal);

        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(7, record.CompletionTokens);
        Assert.Equal(2, record.ReasoningTokens);
    }

    [Fact]
    public async Task Streaming_WithIncludeUsage_RelaysTheUsageChunkBeforeDone()
    {
        using var response = await PostAsync("""{"model":"gpt-test","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var data = DataLines(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("[DONE]", data[^1]);
        var usage = JsonAssert.Parse(data[^2]);
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_SplitCrlfEvents_AreRelayedByteExact_AndUsageFound()
    {
        using var response = await PostAsync("""{"model":"gpt-split","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("héllo→", body, StringComparison.Ordinal);
        Assert.Contains("\r\n\r\n", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\r\n\r\n", body, StringComparison.Ordinal);
        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(7, record.CompletionTokens);
    }

    [Fact]
    public async Task Streaming_UpstreamDiesMidStream_SendsEventsThenErrorEvent_WithoutDone()
    {
        using var response = await PostAsync("""{"model":"gpt-drop","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = DataLines(body);
        Assert.DoesNotContain("[DONE]", data);
        Assert.Contains(data, d => d.Contains("tok0", StringComparison.Ordinal));
        JsonAssert.AssertError(data[^1], "upstream_stream_broken");

        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(RequestOutcome.StreamBroken, record.Outcome);
        Assert.Equal(UsageSource.Partial, record.Source);
        Assert.True(record.CompletionTokens > 0);
        Assert.True(record.PromptTokens > 0);
    }

    [Fact]
    public async Task Streaming_NoUsageFromUpstream_IsEstimatedAndFlagged()
    {
        using var response = await PostAsync("""{"model":"gpt-nousage","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a prompt of some length to estimate"}]}""");
        var data = DataLines(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("[DONE]", data[^1]);
        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(UsageSource.Estimated, record.Source);
        Assert.True(record.PromptTokens > 0);
        Assert.True(record.CompletionTokens > 0);
    }

    [Fact]
    public async Task Streaming_UsageAttachedToLastChoiceChunk_IsKeptAndMetered()
    {
        using var response = await PostAsync("""{"model":"gpt-usagechoices","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var data = DataLines(await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains(data, d => d.Contains("\"finish_reason\":\"stop\"", StringComparison.Ordinal));
        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(5, record.CompletionTokens);
    }

    [Fact]
    public async Task Streaming_MalformedEvent_IsRelayed_WithOneWarning()
    {
        using var response = await PostAsync("""{"model":"gpt-malformed","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var data = DataLines(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("[DONE]", data[^1]);
        Assert.Contains("{this is not json", data);
        var id = RequestIdOf(response);
        await Host.WaitForRecordAsync(id);
        Assert.Single(Host.Logs.Lines, l => l.EventId.Id == 1104 && l.Message.Contains(id, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("gpt-json")]
    [InlineData("gpt-html")]
    [InlineData("gpt-redirect")]
    public async Task Streaming_UpstreamAnswersWithoutAStream_Is502Json(string model)
    {
        using var response = await PostAsync($$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task NonStreaming_OversizedUpstreamBody_Is502()
    {
        using var response = await PostAsync("""{"model":"gpt-big","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "upstream_response_too_large");
    }

    [Fact]
    public async Task Rewrite_ReplacesModelAndCredential_KeepsUnknownFieldsExactly()
    {
        const string body = """{"model":"gpt-test","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],"top_k":40,"thinking":{"type":"disabled"},"reasoning_effort":"low","metadata":{"a":"b"},"x_vendor":{"n":1.50,"list":[1,2,3]},"temperature":0.7}""";
        using var response = await PostAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = await Host.UpstreamRequestAsync(RequestIdOf(response));
        Assert.Equal(body.Replace("\"model\":\"gpt-test\"", "\"model\":\"mock\"", StringComparison.Ordinal), upstream!.Body);
        Assert.Equal("Bearer " + GatewayHost.UpstreamSecret, upstream.Headers["authorization"]);
        Assert.DoesNotContain(upstream.Headers.Values, v => v.Contains(GatewayHost.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnlyAllowlistedHeadersReachTheUpstream_AndNoUpstreamHeaderLeaksBack()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        request.Headers.Add("X-Forwarded-For", "10.0.0.1");
        request.Headers.Add("X-Forwarded-Host", "internal.example");
        request.Headers.Add("Cookie", "session=SENTINELCOOKIE");
        request.Headers.Add("X-Internal-Token", "SENTINELINTERNAL");
        request.Headers.Add("OpenAI-Beta", "assistants=v2");
        request.Headers.UserAgent.ParseAdd("my-app/1.0");
        using var response = await Host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var upstream = await Host.UpstreamRequestAsync(RequestIdOf(response));
        Assert.NotNull(upstream);
        Assert.Equal("assistants=v2", upstream.Headers["openai-beta"]);
        Assert.Equal("my-app/1.0", upstream.Headers["user-agent"]);
        Assert.Equal(RequestIdOf(response), upstream.Headers["x-request-id"]);
        foreach (var dropped in new[] { "x-forwarded-for", "x-forwarded-host", "cookie", "x-internal-token" })
        {
            Assert.False(upstream.Headers.ContainsKey(dropped), dropped + " was forwarded");
        }
        // The mock answers with Set-Cookie and X-Upstream-Region; neither may come back through the gateway.
        Assert.DoesNotContain(response.Headers, h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) ||
                                                     h.Key.Equals("X-Upstream-Region", StringComparison.OrdinalIgnoreCase) ||
                                                     h.Key.Equals("Server", StringComparison.OrdinalIgnoreCase));
        using var direct = await Host.MockHttp.PostAsync("v1/chat/completions", JsonAssert.Body("""{"model":"mock","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.True(direct.Headers.Contains("Set-Cookie")); // proves the assertion above could fail
    }

    [Fact]
    public async Task EachRequest_IsOneTollgateActivity_WithIdsAndFigures_NoPrompt()
    {
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Tollgate",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        using var response = await PostAsync("""{"model":"gpt-test","messages":[{"role":"user","content":"PROMPTSENTINEL-activity"}]}""");
        var id = RequestIdOf(response);
        System.Diagnostics.Activity? activity = null;
        for (var i = 0; i < 100 && activity is null; i++)
        {
            activity = stopped.FirstOrDefault(a => (string?)a.GetTagItem("tollgate.request_id") == id);
            await Task.Delay(20, Ct);
        }
        Assert.NotNull(activity);
        Assert.Equal("chat", activity.OperationName);
        Assert.Equal("chat gpt-test", activity.DisplayName);
        Assert.Equal("gpt-test", activity.GetTagItem("gen_ai.request.model"));
        Assert.Equal(200, activity.GetTagItem("http.response.status_code"));
        Assert.Equal(5L, activity.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.DoesNotContain(activity.TagObjects, t => t.Value?.ToString()?.Contains("PROMPTSENTINEL", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task ApiV1Prefix_ServesTheSameEndpoints()
    {
        using var chat = await PostAsync("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", "api/v1/chat/completions");
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var models = await Host.Http.SendAsync(request, Ct);
        var list = JsonAssert.Parse(await models.Content.ReadAsStringAsync(Ct));
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.All(list.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task Healthz_NeedsNoKey()
    {
        using var response = await Host.Http.GetAsync("healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("tg-unknown-key")]
    [InlineData(GatewayHost.DisabledKey)]
    public async Task MissingUnknownOrDisabledKeys_GetTheSame401Body(string? key)
    {
        using var response = await PostAsync("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", key: key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        using var reference = await PostAsync("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", key: "tg-some-other-unknown");
        Assert.Equal(await reference.Content.ReadAsStringAsync(Ct), body);
    }

    [Theory]
    [InlineData("GET", "v1/chat/completions", "POST")]
    [InlineData("PUT", "api/v1/chat/completions", "POST")]
    [InlineData("POST", "v1/models", "GET")]
    [InlineData("DELETE", "manage/keys", "POST, GET")]
    public async Task AKnownPathWithTheWrongMethod_Is405_WithAllow(string method, string path, string allow)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await Host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "method_not_allowed");

        using var unknown = await Host.Http.GetAsync("v1/no-such-endpoint", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task InvalidUtf8InsideAString_Is400_AndNothingForwarded()
    {
        var before = (await Host.AllUpstreamRequestsAsync()).Count;
        var body = Encoding.UTF8.GetBytes("""{"model":"gpt-test","messages":[{"role":"user","content":"caf__"}]}""");
        var at = Array.IndexOf(body, (byte)'_');
        body[at] = 0xC3; // a two-byte sequence cut short
        body[at + 1] = 0x28;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await Host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("UTF-8", JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "invalid_request").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, (await Host.AllUpstreamRequestsAsync()).Count);
    }

    [Fact]
    public async Task KeyInQueryString_IsRejected()
    {
        using var response = await PostAsync("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", "v1/chat/completions?api-key=" + GatewayHost.Key, key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task BodyOverCap_Is413_AndNothingForwarded()
    {
        var big = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 70_000) + "\"}]}";
        using var response = await PostAsync(big, closeConnection: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "request_too_large");
        Assert.Null(await Host.UpstreamRequestAsync(RequestIdOf(response)));
    }

    [Fact]
    public async Task ChunkedBodyOverCap_Is413()
    {
        var big = Encoding.UTF8.GetBytes("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 70_000) + "\"}]}");
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StreamContent(new MemoryStream(big)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ConnectionClose = true;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await Host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("", 400, null)]
    [InlineData("[1,2]", 400, null)]
    [InlineData("{\"model\":\"gpt-test\"", 400, null)]
    [InlineData("{\"model\":\"gpt-test\",\"stream\":false,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 400, "stream")]
    [InlineData("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":3}", 422, "temperature")]
    [InlineData("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 404, "model")]
    public async Task BadInput_GetsOpenAiErrorWithStatus_AndIsNotForwarded(string body, int status, string? param)
    {
        var before = (await Host.AllUpstreamRequestsAsync()).Count;
        using var response = await PostAsync(body);
        Assert.Equal(status, (int)response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), expectedParam: param);
        var record = await Host.WaitForRecordAsync(RequestIdOf(response));
        Assert.Equal(RequestOutcome.Rejected, record.Outcome);
        Assert.Equal(UsageSource.None, record.Source);
        Assert.Equal(0, record.TotalTokens);
        Assert.Null(await Host.UpstreamRequestAsync(RequestIdOf(response)));
        Assert.True((await Host.AllUpstreamRequestsAsync()).Count >= before);
    }

    [Fact]
    public async Task DeepNesting_Is400()
    {
        var deep = "{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        using var response = await PostAsync(deep);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task WrongContentType_Is400()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", "text/plain"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await Host.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct), "invalid_content_type");
    }

    [Fact]
    public async Task UnknownPath_IsOpenAiShaped404()
    {
        using var response = await Host.Http.GetAsync("v1/nothing-here", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        JsonAssert.AssertError(await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Sentinels_NeverAppearInLogsRecordsOrErrors_OnceEveryRecordAndLogLineIsWritten()
    {
        const string prompt = "PROMPT-SENTINEL-93b1 secret words";
        var bodies = new[]
        {
            $$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{prompt}}"}]}""",
            $$"""{"model":"gpt-drop","stream":true,"messages":[{"role":"user","content":"{{prompt}}"}]}""",
            $$"""{"model":"gpt-402","messages":[{"role":"user","content":"{{prompt}}"}]}""",
            $$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{prompt}}"}],"temperature":9}""",
        };
        var ids = new List<string>();
        var errors = new List<string>();
        foreach (var body in bodies)
        {
            using var response = await PostAsync(body);
            ids.Add(response.Headers.GetValues("x-request-id").Single());
            if (!response.IsSuccessStatusCode)
            {
                errors.Add(await response.Content.ReadAsStringAsync(Ct));
            }
        }

        // Every request's record and log line exist before anything is checked for absence.
        var records = new List<UsageRecord>();
        foreach (var id in ids)
        {
            records.Add(await Host.WaitForRecordAsync(id));
        }
        for (var i = 0; i < 200 && !ids.All(id => Host.Logs.Lines.Any(l => l.EventId.Id == 1000 && l.Message.Contains(id, StringComparison.Ordinal))); i++)
        {
            await Task.Delay(50, Ct);
        }
        Assert.All(ids, id => Assert.Contains(Host.Logs.Lines, l => l.EventId.Id == 1000 && l.Message.Contains(id, StringComparison.Ordinal)));
        Assert.Equal([RequestOutcome.Completed, RequestOutcome.StreamBroken, RequestOutcome.UpstreamError, RequestOutcome.Rejected], records.Select(r => r.Outcome));
        Assert.Equal(2, errors.Count);

        var everything = string.Join("\n", Host.Logs.Lines.Select(l => l.Message)) + "\n" +
                         string.Join("\n", records.Select(r => JsonSerializer.Serialize(r))) + "\n" + string.Join("\n", errors);
        Assert.Contains("key-main", everything, StringComparison.Ordinal);
        foreach (var sentinel in new[] { "PROMPT-SENTINEL", GatewayHost.Key, GatewayHost.UpstreamSecret, "acct_secret_42", "SENTINEL" })
        {
            Assert.DoesNotContain(sentinel, everything, StringComparison.Ordinal);
        }
    }
}
