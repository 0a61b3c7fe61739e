using System.Globalization;
using OpenAI.Chat;
using Tollgate.Proxy;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.EndToEnd;

/// <summary>The per-request cost header on non-streaming answers, read through the official OpenAI .NET SDK.</summary>
public sealed class CostHeaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ANonStreamingAnswer_CarriesItsCost_EqualToTheUsageRecords_AndAStreamParsesAsBefore()
    {
        await using var host = await GatewayHost.StartAsync();
        var client = host.ChatClient("gpt-reasoning");

        var completion = await client.CompleteChatAsync([new UserChatMessage("what does this cost?")], new ChatCompletionOptions { MaxOutputTokenCount = 50 }, Ct);
        var headers = completion.GetRawResponse().Headers;
        Assert.True(headers.TryGetValue(CompletionRelay.CostHeader, out var costText));
        Assert.True(headers.TryGetValue(CompletionRelay.CostCurrencyHeader, out var currency));
        Assert.Equal("USD", currency);
        Assert.True(headers.TryGetValue("x-request-id", out var requestId));
        var cost = decimal.Parse(costText!, NumberStyles.Number, CultureInfo.InvariantCulture);
        Assert.True(cost > 0);

        UsageRecordLookup? record = null;
        for (var i = 0; i < 100 && record is null; i++)
        {
            record = host.Usage.Snapshot().Where(r => r.RequestId == requestId).Select(r => new UsageRecordLookup(r.Cost, r.PromptTokens, r.CompletionTokens)).FirstOrDefault();
            await Task.Delay(20, Ct);
        }
        Assert.NotNull(record);
        Assert.Equal(record.Cost, cost);
        Assert.Equal(record.PromptTokens, completion.Value.Usage.InputTokenCount);

        // A stream's headers go out before its usage is known: the chunk that reports usage carries the cost instead, as
        // the vendor extension x_tollgate, and the SDK reads the stream and its usage as always.
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("and this?")], new ChatCompletionOptions { MaxOutputTokenCount = 50 }, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
        }
        Assert.NotEmpty(text.ToString());
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task AStreamsUsageChunk_CarriesItsCost_EqualToTheUsageRecords()
    {
        await using var host = await GatewayHost.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonAssert.Body("""{"model":"gpt-reasoning","stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":50,"messages":[{"role":"user","content":"cost?"}]}"""),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayHost.Key);
        using var response = await host.Http.SendAsync(request, Ct);
        Assert.False(response.Headers.Contains(CompletionRelay.CostHeader));
        var requestId = response.Headers.GetValues("x-request-id").Single();
        var chunks = (await response.Content.ReadAsStringAsync(Ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).Select(e => JsonAssert.Parse(e["data: ".Length..])).ToList();
        var withCost = Assert.Single(chunks, c => c.TryGetProperty(StreamRelay.CostField, out _));
        Assert.True(withCost.TryGetProperty("usage", out var usage) && usage.ValueKind == System.Text.Json.JsonValueKind.Object);
        var extension = withCost.GetProperty(StreamRelay.CostField);
        Assert.Equal("USD", extension.GetProperty("currency").GetString());
        var cost = extension.GetProperty("cost").GetDecimal();

        decimal? recorded = null;
        for (var i = 0; i < 100 && recorded is null; i++)
        {
            recorded = host.Usage.Snapshot().Where(r => r.RequestId == requestId).Select(r => (decimal?)r.Cost).FirstOrDefault();
            await Task.Delay(20, Ct);
        }
        Assert.Equal(recorded, cost);
        Assert.True(cost > 0);
    }

    private sealed record UsageRecordLookup(decimal Cost, long PromptTokens, long CompletionTokens);
}
