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

        // A stream's headers go out before its usage is known: no cost header, and the SDK reads it as always.
        var text = new System.Text.StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("and this?")], new ChatCompletionOptions { MaxOutputTokenCount = 50 }, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }
        Assert.NotEmpty(text.ToString());
    }

    private sealed record UsageRecordLookup(decimal Cost, long PromptTokens, long CompletionTokens);
}
