using System.ClientModel;
using System.Text;
using OpenAI.Chat;
using Tollgate.Tests.Harness;
using Tollgate.Usage;

namespace Tollgate.Tests.EndToEnd;

/// <summary>The official OpenAI .NET SDK, unchanged, against Tollgate on loopback with the mock behind it.</summary>
public sealed class OpenAiSdkTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact]
    public async Task NonStreaming_ReturnsUpstreamCompletion_AndRecordsReportedUsage()
    {
        var client = Host.ChatClient("gpt-test");
        ClientResult<ChatCompletion> result = await client.CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Say hello")], cancellationToken: TestContext.Current.CancellationToken);

        var completion = result.Value;
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(5, completion.Usage.OutputTokenCount);

        var requestId = result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id) ? id! : throw new InvalidOperationException("no x-request-id");
        var record = await Host.WaitForRecordAsync(requestId);
        Assert.Equal("key-main", record.KeyId);
        Assert.Equal("team-a", record.Owner);
        Assert.Equal("gpt-test", record.RequestedModel);
        Assert.Equal("mock", record.UpstreamModel);
        Assert.Equal("mock", record.Upstream);
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(completion.Usage.InputTokenCount, record.PromptTokens);
        Assert.Equal(5, record.CompletionTokens);
        Assert.Equal(RequestOutcome.Completed, record.Outcome);
        Assert.Equal(200, record.Status);
        Assert.False(record.Stream);
        Assert.Equal("stop", record.FinishReason);
    }

    [Fact]
    public async Task Streaming_WithSdk_RelaysEveryDelta_AndUsage()
    {
        var client = Host.ChatClient("gpt-reasoning");
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Stream please")], cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("tok0 héllo→ tok2 tok3 tok4 ", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(7, usage.OutputTokenCount);
        Assert.Equal(3, usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(2, usage.OutputTokenDetails.ReasoningTokenCount);

        // The record lands just after the stream's last byte: wait for it (bounded).
        UsageRecord? record = null;
        for (var i = 0; i < 200 && record is null; i++)
        {
            record = Host.Usage.Snapshot().LastOrDefault(r => r.RequestedModel == "gpt-reasoning" && r.Stream);
            if (record is null)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
        Assert.NotNull(record);
        Assert.Equal(UsageSource.Reported, record.Source);
        Assert.Equal(7, record.CompletionTokens);
        Assert.Equal(3, record.CachedTokens);
        Assert.Equal(2, record.ReasoningTokens);
        Assert.NotNull(record.TimeToFirstTokenMs);
    }

    [Fact]
    public async Task Streaming_ToolCalls_ArriveAsSdkToolCallUpdates()
    {
        var client = Host.ChatClient("gpt-tools");
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}""")) },
        };
        string? name = null;
        string? callId = null;
        var arguments = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], options, TestContext.Current.CancellationToken))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                callId ??= call.ToolCallId;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", name);
        Assert.Equal("call_mock_1", callId);
        Assert.Equal("""{"city":"Paris"}""", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task NonStreaming_ToolCallRoundTrip_AcceptsAssistantToolCallsAndToolMessages()
    {
        var client = Host.ChatClient("gpt-test");
        ChatMessage[] messages =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_1", """{"temp":21}"""),
        ];
        var result = await client.CompleteChatAsync(messages, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
    }

    [Theory]
    [InlineData("gpt-429", 429)]
    [InlineData("gpt-500", 502)]
    [InlineData("gpt-503", 503)]
    [InlineData("gpt-402", 503)]
    [InlineData("gpt-400", 400)]
    [InlineData("gpt-401", 502)]
    [InlineData("no-such-model", 404)]
    public async Task UpstreamAndRoutingErrors_ArriveAsSdkExceptionsWithStatus(string model, int expectedStatus)
    {
        var client = Host.ChatClient(model);
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(expectedStatus, error.Status);
        Assert.DoesNotContain(GatewayHost.UpstreamSecret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("acct_secret_42", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Host.MockUri.Authority, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidKey_IsSdkAuthenticationError401()
    {
        var client = Host.ChatClient("gpt-test", "tg-not-a-real-key");
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task OutOfRangeTemperature_IsSdkError422()
    {
        var client = Host.ChatClient("gpt-test");
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { Temperature = 2.5f }, TestContext.Current.CancellationToken));
        Assert.Equal(422, error.Status);
        Assert.Contains("temperature", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelNotAllowedForKey_Is403_AndModelsListIsFiltered()
    {
        var limited = Host.ChatClient("gpt-reasoning", GatewayHost.LimitedKey);
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            limited.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(403, error.Status);

        var models = await Host.OpenAIClient(GatewayHost.LimitedKey).GetOpenAIModelClient().GetModelsAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["gpt-test"], models.Value.Select(m => m.Id).ToArray());

        var all = await Host.OpenAIClient().GetOpenAIModelClient().GetModelsAsync(TestContext.Current.CancellationToken);
        Assert.Contains(all.Value, m => m.Id == "env-model");
        Assert.Contains(all.Value, m => m.Id == "gpt-tools");
    }
}
