using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>
/// Counting prompt tokens on hostile text through the real path: a key with a budget has every prompt counted before
/// it is forwarded, and a model that reports no usage has it counted again when the request settles.
/// </summary>
public sealed class TokenCountingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Budgeted(Dictionary<string, string?> s)
    {
        s["Tollgate:Keys:0:Budget:Amount"] = "1000";
        s["Tollgate:Keys:0:Budget:Mode"] = "hard";
    }

    private static HttpRequestMessage Post(string json, string key = GatewayHost.Key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonAssert.Body(json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ALoneSurrogateEscapeInMessageText_IsForwardedAsSent_AndCounted_WithOrWithoutABudget(bool budget)
    {
        // JSON's grammar allows "\udfff" alone; it spells no UTF-16 text. The upstream decides about it, as it would
        // without the gateway; counting it must not fail (with a budget it was a 500 internal_error, logged as a gateway bug).
        await using var host = await GatewayHost.StartAsync(budget ? Budgeted : null);
        const string json = """
            {"model":"gpt-nousage","max_completion_tokens":50,"messages":[
              {"role":"system","name":"bot\udfff","content":"Be brief."},
              {"role":"user","content":[{"type":"text","text":"half an emoji \ud83d and a tail \ude00 then a whole one \ud83d\ude00"}]}]}
            """;

        using var response = await host.Http.SendAsync(Post(json), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var id = response.Headers.GetValues("x-request-id").Single();
        var forwarded = await host.UpstreamRequestAsync(id);
        Assert.Contains("""half an emoji \ud83d and a tail \ude00""", forwarded!.Body, StringComparison.Ordinal);
        var record = await host.WaitForRecordAsync(id);
        Assert.Equal(UsageSource.Estimated, record.Source);
        Assert.InRange(record.PromptTokens, 2 * TokenCounter.TokensPerMessage + TokenCounter.ReplyPriming + 10, 200);
        Assert.DoesNotContain(host.Logs.Lines, l => l.EventId.Id == 1900);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a\udfffb"}]}""", true)]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"\ud83d"}]}],"x":"\udc00"}""", true)]
    [InlineData("""{"model":"m\udfff","messages":[{"role":"user","content":"hi"}]}""", false)]
    public void TheParser_AcceptsLoneSurrogatesInTextItForwards_AndRefusesThemOnlyInTheModelItReads(string body, bool accepted)
    {
        // What the gateway reads itself must be text; what it forwards is the upstream's to judge.
        var error = Tollgate.Proxy.ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(body), out _);
        Assert.Equal(accepted, error is null);
        Assert.True(error is null || error.Status == 400);
    }

    /// <summary>Prompts of about 4 MiB that a byte-pair tokenizer finds hard, each as one message unless said otherwise.</summary>
    public static TheoryData<string> Shapes => ["one-letter", "digits", "one-cjk", "punctuation", "random-letters", "many-messages"];

    private static string Prompt(string shape, int bytes)
    {
        var random = new Random(19);
        string Text(int chars, Func<int, char> at) => string.Create(chars, at, static (span, at) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = at(i);
            }
        });
        var content = shape switch
        {
            "one-letter" => new string('a', bytes),
            "digits" => Text(bytes, i => (char)('0' + (i * 7 % 10))),
            "one-cjk" => new string('中', bytes / 3),
            "punctuation" => Text(bytes, i => i % 2 == 0 ? '!' : '?'),
            "random-letters" => Text(bytes, _ => (char)('a' + random.Next(26))),
            _ => null,
        };
        if (content is not null)
        {
            return $$"""{"model":"gpt-nousage","max_completion_tokens":20,"messages":[{"role":"user","content":"{{content}}"}]}""";
        }
        var messages = new StringBuilder();
        while (messages.Length < bytes)
        {
            messages.Append(CultureInfo.InvariantCulture, $$"""{"role":"user","content":"m{{messages.Length % 1000}}"},""");
        }
        return $$"""{"model":"gpt-nousage","max_completion_tokens":20,"messages":[{{messages.ToString().TrimEnd(',')}}]}""";
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task AHugePathologicalPrompt_WithABudgetedKey_IsCountedAndServed_AndAnotherClientsRequestsAllComplete(string shape)
    {
        await using var host = await GatewayHost.StartAsync(s =>
        {
            Budgeted(s);
            s["Tollgate:MaxRequestBodyBytes"] = (5 * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        });
        var json = Prompt(shape, 4 * 1024 * 1024);
        // Quadratic counting took hours for some of these shapes and held a socket thread meanwhile: bound the wait.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromMinutes(3));
        using var bigClient = new HttpClient { BaseAddress = host.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var otherClient = new HttpClient { BaseAddress = host.BaseUri, Timeout = Timeout.InfiniteTimeSpan };

        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bigRequest = Post(json);
        bigRequest.Content = new SignallingContent(Encoding.UTF8.GetBytes(json), sent);
        bigRequest.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var big = bigClient.SendAsync(bigRequest, bounded.Token);

        // Once the whole big body is with the gateway, another client sends 16 requests at once (16 connections, over
        // every socket thread): each completes.
        await sent.Task.WaitAsync(bounded.Token);
        var others = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await otherClient.SendAsync(
                Post("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}""", GatewayHost.LimitedKey), bounded.Token);
            await response.Content.ReadAsStringAsync(bounded.Token);
            return response.StatusCode;
        }));
        Assert.All(others, status => Assert.Equal(HttpStatusCode.OK, status));

        using var bigResponse = await big;
        var body = await bigResponse.Content.ReadAsStringAsync(bounded.Token);
        Assert.True(bigResponse.StatusCode == HttpStatusCode.OK, body);
        var record = await host.WaitForRecordAsync(bigResponse.Headers.GetValues("x-request-id").Single());
        // A sane count: at least a quarter of the text's bytes (what a sampled count never goes below), at most one
        // token per byte of the body (a token is at least one byte) plus the chat format's overhead.
        Assert.Equal(UsageSource.Estimated, record.Source);
        var bodyBytes = Encoding.UTF8.GetByteCount(json);
        Assert.InRange(record.PromptTokens, shape == "many-messages" ? bodyBytes / 16 : bodyBytes / 5, bodyBytes);
    }

    /// <summary>A request body that says when all of it has been written to the connection.</summary>
    private sealed class SignallingContent(byte[] body, TaskCompletionSource sent) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(body, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            sent.TrySetResult();
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
