using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.MockUpstream;

/// <summary>
/// A deterministic OpenAI-compatible model server for local runs, tests and the benchmark. It serves
/// <c>/v1</c> and <c>/api/v1</c>, and its behaviour per request comes from the model name (see
/// <see cref="MockBehavior"/>). It records what it received under <c>/mock/requests/{x-request-id}</c>.
/// </summary>
public static class MockUpstreamApp
{
    private const int MaxRecorded = 2000;

    /// <summary>Raw UTF-8 (not \u escapes), so multi-byte characters really cross read boundaries in split mode.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        configure?.Invoke(builder);
        var app = builder.Build();

        var defaults = new MockBehavior
        {
            Chunks = app.Configuration.GetValue("Mock:Chunks", 5),
            DelayMs = app.Configuration.GetValue("Mock:DelayMs", 0),
        };
        var record = app.Configuration.GetValue("Mock:Record", true);
        var recorded = new ConcurrentDictionary<string, RecordedRequest>(StringComparer.Ordinal);
        var order = new ConcurrentQueue<string>();

        foreach (var prefix in new[] { "/v1", "/api/v1" })
        {
            app.MapPost(prefix + "/chat/completions", context => HandleChatAsync(context, defaults, record ? recorded : null, order));
            app.MapGet(prefix + "/models", (HttpContext context) => context.Response.WriteAsync(
                """{"object":"list","data":[{"id":"mock","object":"model","created":1700000000,"owned_by":"mock"}]}"""));
        }
        // Azure OpenAI's two URL styles: the v1 API, and a deployment named in the path with api-version.
        app.MapPost("/openai/v1/chat/completions", context => HandleChatAsync(context, defaults, record ? recorded : null, order));
        app.MapPost("/openai/deployments/{deployment}/chat/completions", context => HandleChatAsync(context, defaults, record ? recorded : null, order));
        app.MapGet("/mock/requests/{id}", (string id) =>
            recorded.TryGetValue(id, out var found) ? Results.Json(found) : Results.NotFound());
        app.MapGet("/mock/requests", () => Results.Json(order.Select(id => recorded.GetValueOrDefault(id)).Where(r => r is not null)));
        app.MapGet("/healthz", () => Results.Text("ok"));
        return app;
    }

    private static async Task HandleChatAsync(HttpContext context, MockBehavior defaults, ConcurrentDictionary<string, RecordedRequest>? recorded, ConcurrentQueue<string> order)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var bodyText = await reader.ReadToEndAsync(context.RequestAborted);
        var id = context.Request.Headers["X-Request-Id"].ToString();
        RecordedRequest? entry = null;
        if (recorded is not null && id.Length > 0)
        {
            entry = new RecordedRequest
            {
                Path = context.Request.Path + context.Request.QueryString,
                Headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
                Body = bodyText,
            };
            recorded[id] = entry;
            order.Enqueue(id);
            while (order.Count > MaxRecorded && order.TryDequeue(out var old))
            {
                recorded.TryRemove(old, out _);
            }
        }

        JsonElement request;
        try
        {
            request = JsonDocument.Parse(bodyText).RootElement.Clone();
        }
        catch (JsonException)
        {
            await WriteErrorAsync(context, 400, "invalid JSON", null);
            return;
        }
        var model = request.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
        MockBehavior behavior;
        try
        {
            behavior = MockBehavior.Parse(model, defaults);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await WriteErrorAsync(context, 400, e.Message, null);
            return;
        }

        try
        {
            await RespondAsync(context, request, model, behavior);
            if (entry is not null)
            {
                entry.Completed = true;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            if (entry is not null)
            {
                entry.Cancelled = true;
            }
        }
    }

    private static async Task RespondAsync(HttpContext context, JsonElement request, string model, MockBehavior behavior)
    {
        var ct = context.RequestAborted;
        // What a real provider might add; a gateway must not pass either on.
        context.Response.Headers.SetCookie = "upstream_session=SENTINELUPSTREAMCOOKIE; Path=/";
        context.Response.Headers["X-Upstream-Region"] = "internal-eu-1";
        if (behavior.StallMs > 0)
        {
            await Task.Delay(behavior.StallMs, ct);
        }
        if (behavior.Redirect)
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = "http://127.0.0.1:1/elsewhere";
            return;
        }
        if (behavior.Status is { } status)
        {
            if ((status == 429 || status == 503) && behavior.RetryAfterSeconds > 0)
            {
                context.Response.Headers.RetryAfter = behavior.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            var message = status switch
            {
                402 => "Insufficient balance: account acct_secret_42 has $0.00 left. Top up at https://billing.example.com/acct_secret_42",
                400 => "This model's maximum context length is 8192 tokens. See https://docs.example.com/limits",
                _ => $"mock failure {status}",
            };
            await WriteErrorAsync(context, status, message, behavior.Envelope ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
            return;
        }
        if (behavior.Html)
        {
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body>maintenance</body></html>", ct);
            return;
        }

        var stream = request.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = request.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object &&
                           so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        var prompt = MockUsage.PromptTokens(request);
        if (stream && !behavior.Json)
        {
            await StreamAsync(context, model, behavior, prompt, includeUsage && !behavior.NoUsage);
        }
        else
        {
            await CompleteAsync(context, model, behavior, prompt);
        }
    }

    private static async Task CompleteAsync(HttpContext context, string model, MockBehavior behavior, int prompt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            if (behavior.Envelope)
            {
                writer.WriteBoolean("success", true);
                writer.WriteString("code", "200");
                writer.WriteString("message", "successful");
                writer.WriteStartObject("data");
            }
            writer.WriteString("id", "chatcmpl-mock");
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", 1700000000);
            writer.WriteString("model", model);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            var completion = behavior.Chunks;
            if (behavior.Tools)
            {
                writer.WriteNull("content");
                writer.WriteStartArray("tool_calls");
                writer.WriteStartObject();
                writer.WriteString("id", "call_mock_1");
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", "get_weather");
                writer.WriteString("arguments", "{\"city\":\"Paris\"}");
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteString("content", string.Concat(Enumerable.Range(0, behavior.Chunks).Select(i => $"tok{i} ")));
            }
            if (behavior.Reasoning)
            {
                writer.WriteString("reasoning_content", "Thinking it over. ");
                completion += 2;
            }
            writer.WriteEndObject();
            writer.WriteString("finish_reason", behavior.Tools ? "tool_calls" : "stop");
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (behavior.BigBytes > 0)
            {
                writer.WriteString("padding", new string('x', behavior.BigBytes));
            }
            if (!behavior.NoUsage)
            {
                MockUsage.Write(writer, prompt, completion, behavior);
            }
            writer.WriteString("system_fingerprint", "fp_mock");
            if (behavior.Envelope)
            {
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        context.Response.ContentType = "application/json";
        if (behavior.DropAfter is not null)
        {
            // Promise the whole body, send half, then cut the connection.
            context.Response.ContentLength = buffer.WrittenCount;
            await context.Response.Body.WriteAsync(buffer.WrittenMemory[..(buffer.WrittenCount / 2)], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(100, context.RequestAborted); // let the bytes reach the client before the reset
            context.Abort();
            return;
        }
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, string model, MockBehavior behavior, int prompt, bool includeUsage)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(ct);
        await response.Body.FlushAsync(ct); // headers on the wire now, before any stall
        if (behavior.StallBodyMs > 0)
        {
            await Task.Delay(behavior.StallBodyMs, ct);
        }
        var newline = behavior.Crlf ? "\r\n" : "\n";

        async Task SendAsync(string data)
        {
            var text = "data: " + data + newline + newline;
            var bytes = Encoding.UTF8.GetBytes(text);
            if (behavior.Split)
            {
                // Fragments of 3 bytes: events, lines and multi-byte characters all cross reads.
                for (var i = 0; i < bytes.Length; i += 3)
                {
                    await response.Body.WriteAsync(bytes.AsMemory(i, Math.Min(3, bytes.Length - i)), ct);
                    await response.Body.FlushAsync(ct);
                }
                return;
            }
            await response.Body.WriteAsync(bytes, ct);
            await response.Body.FlushAsync(ct);
        }

        string Chunk(Action<Utf8JsonWriter> delta, string? finishReason, bool withUsage = false, int completion = 0)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                WriteChunkStart(writer, model);
                writer.WriteStartArray("choices");
                writer.WriteStartObject();
                writer.WriteNumber("index", 0);
                writer.WriteStartObject("delta");
                delta(writer);
                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                if (finishReason is null)
                {
                    writer.WriteNull("finish_reason");
                }
                else
                {
                    writer.WriteString("finish_reason", finishReason);
                }
                writer.WriteEndObject();
                writer.WriteEndArray();
                if (withUsage)
                {
                    MockUsage.Write(writer, prompt, completion, behavior);
                }
                writer.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        await SendAsync(Chunk(w => { w.WriteString("role", "assistant"); w.WriteString("content", ""); }, null));
        var completionTokens = 0;
        if (behavior.Reasoning)
        {
            foreach (var part in new[] { "Thinking ", "it over. " })
            {
                await SendAsync(Chunk(w => w.WriteString("reasoning_content", part), null));
                completionTokens++;
            }
        }
        if (behavior.Malformed)
        {
            await SendAsync("{this is not json");
        }

        if (behavior.Tools)
        {
            // The first delta names the call; the rest carry pieces of its arguments.
            static Action<Utf8JsonWriter> ToolCallDelta(string arguments, bool first) => w =>
            {
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                if (first)
                {
                    w.WriteString("id", "call_mock_1");
                    w.WriteString("type", "function");
                }
                w.WriteStartObject("function");
                if (first)
                {
                    w.WriteString("name", "get_weather");
                }
                w.WriteString("arguments", arguments);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            };
            await SendAsync(Chunk(ToolCallDelta("", first: true), null));
            foreach (var piece in new[] { "{\"city\":", "\"Paris\"}" })
            {
                await SendAsync(Chunk(ToolCallDelta(piece, first: false), null));
                completionTokens++;
            }
        }
        else
        {
            for (var i = 0; i < behavior.Chunks; i++)
            {
                if (behavior.DropAfter is { } drop && i == drop)
                {
                    await Task.Delay(100, ct); // let the bytes reach the client before the reset
                    context.Abort();
                    return;
                }
                if (behavior.DelayMs > 0 && i > 0)
                {
                    await Task.Delay(behavior.DelayMs, ct);
                }
                var text = i == 1 ? "héllo→ " : $"tok{i} ";
                await SendAsync(Chunk(w => w.WriteString("content", text), null));
                completionTokens++;
            }
        }

        var finish = behavior.Tools ? "tool_calls" : "stop";
        if (includeUsage && behavior.UsageWithChoices)
        {
            await SendAsync(Chunk(_ => { }, finish, withUsage: true, completion: completionTokens));
        }
        else
        {
            await SendAsync(Chunk(_ => { }, finish));
            if (includeUsage)
            {
                var buffer = new ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
                {
                    WriteChunkStart(writer, model);
                    writer.WriteStartArray("choices");
                    writer.WriteEndArray();
                    MockUsage.Write(writer, prompt, completionTokens, behavior);
                    writer.WriteEndObject();
                }
                await SendAsync(Encoding.UTF8.GetString(buffer.WrittenSpan));
            }
        }
        await SendAsync("[DONE]");
        if (behavior.LingerMs > 0)
        {
            await Task.Delay(behavior.LingerMs, ct);
        }
    }

    private static void WriteChunkStart(Utf8JsonWriter writer, string model)
    {
        writer.WriteStartObject();
        writer.WriteString("id", "chatcmpl-mock");
        writer.WriteString("object", "chat.completion.chunk");
        writer.WriteNumber("created", 1700000000);
        writer.WriteString("model", model);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message, string? envelopeCode)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            if (envelopeCode is not null)
            {
                writer.WriteBoolean("success", false);
                writer.WriteString("code", envelopeCode);
                writer.WriteString("message", message);
                writer.WriteNull("data");
            }
            else
            {
                writer.WriteStartObject("error");
                writer.WriteString("message", message);
                writer.WriteString("type", "mock_error");
                writer.WriteNull("param");
                writer.WriteString("code", "mock_" + status);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
