using System.Text;
using Microsoft.Extensions.Options;
using Tollgate.Pricing;
using Tollgate.Proxy;
using Tollgate.Streaming;
using Tollgate.Usage;

namespace Tollgate.Tests.Proxy;

/// <summary>How a request's token figures are settled once it has ended.</summary>
public sealed class UsageSettlementTests
{
    private static readonly byte[] UpstreamBody = Encoding.UTF8.GetBytes("""{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello to the world."}]}""");

    private static UsageSettlement Settlement() => new(new TokenCounter(Options.Create(new TokenizerOptions())));

    [Theory]
    // A reported figure wins whatever happened.
    [InlineData(RequestOutcome.Completed, true, true, true, UsageSource.Reported)]
    [InlineData(RequestOutcome.ClientAborted, true, true, false, UsageSource.Reported)]
    [InlineData(RequestOutcome.UpstreamError, true, true, false, UsageSource.Reported)]
    // Completed without a report: counted.
    [InlineData(RequestOutcome.Completed, false, true, true, UsageSource.Estimated)]
    [InlineData(RequestOutcome.Completed, false, true, false, UsageSource.Estimated)]
    // Cut short after the model had the prompt: partial, with or without output.
    [InlineData(RequestOutcome.ClientAborted, false, true, false, UsageSource.Partial)]
    [InlineData(RequestOutcome.StreamBroken, false, true, true, UsageSource.Partial)]
    // Cut short before anything reached the upstream: nothing used.
    [InlineData(RequestOutcome.ClientAborted, false, false, false, UsageSource.None)]
    // An upstream error: only what it generated before failing is counted.
    [InlineData(RequestOutcome.UpstreamError, false, true, true, UsageSource.Estimated)]
    [InlineData(RequestOutcome.UpstreamError, false, true, false, UsageSource.None)]
    [InlineData(RequestOutcome.UpstreamError, false, false, false, UsageSource.None)]
    // Refused by the gateway: never reached a model.
    [InlineData(RequestOutcome.Rejected, false, false, false, UsageSource.None)]
    public void SourceFor_FollowsWhatTheModelMayHaveDone(RequestOutcome outcome, bool reported, bool sentUpstream, bool sawOutput, UsageSource expected) =>
        Assert.Equal(expected, UsageSettlement.SourceFor(outcome, reported, sentUpstream, sawOutput));

    [Fact]
    public void Reported_CopiesTheUpstreamsFigures_WithoutCounting()
    {
        using var tap = new UsageTap();
        tap.Inspect("""{"choices":[{"index":0,"message":{"content":"hello"}}],"usage":{"prompt_tokens":12,"completion_tokens":30,"prompt_tokens_details":{"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":20}}}"""u8);
        var record = new UsageRecord { RequestId = "r", UpstreamModel = "gpt-4o" };

        Settlement().Settle(record, UsageSource.Reported, tap, UpstreamBody, null);

        Assert.Equal((UsageSource.Reported, 12L, 30L, 5L, 20L), (record.Source, record.PromptTokens, record.CompletionTokens, record.CachedTokens, record.ReasoningTokens));
    }

    [Theory]
    [InlineData(UsageSource.Estimated)]
    [InlineData(UsageSource.Partial)]
    public void Counted_UsesTheUpstreamModelsTokenizer_OnThePromptSentAndTheTextSeen(UsageSource source)
    {
        var counter = new TokenCounter(Options.Create(new TokenizerOptions()));
        using var tap = new UsageTap();
        tap.Inspect("""{"choices":[{"index":0,"delta":{"content":"Hello, world! How are you today?"}}]}"""u8);
        var record = new UsageRecord { RequestId = "r", RequestedModel = "my-alias", UpstreamModel = "gpt-4o" };

        new UsageSettlement(counter).Settle(record, source, tap, UpstreamBody, null);

        Assert.Equal(source, record.Source);
        Assert.Equal(counter.CountPrompt(UpstreamBody, "gpt-4o"), record.PromptTokens);
        Assert.Equal(counter.Count("Hello, world! How are you today?", "gpt-4o"), record.CompletionTokens);
        Assert.True(record.PromptTokens > 7, "the prompt's words and the per-message overhead");
        Assert.Equal((0L, 0L), (record.CachedTokens, record.ReasoningTokens));
    }

    [Fact]
    public void None_LeavesEveryFigureAtZero()
    {
        using var tap = new UsageTap();
        tap.Inspect("""{"choices":[{"index":0,"delta":{"content":"ignored"}}]}"""u8);
        var record = new UsageRecord { RequestId = "r", UpstreamModel = "gpt-4o" };

        Settlement().Settle(record, UsageSource.None, tap, UpstreamBody, null);

        Assert.Equal((UsageSource.None, 0L, 0L), (record.Source, record.PromptTokens, record.CompletionTokens));
    }

    private static readonly ModelPrice Price = new()
    {
        Model = "gpt-4o", EffectiveFrom = DateTimeOffset.UnixEpoch, InputPerMillion = 2.5m, CachedInputPerMillion = 1.25m, OutputPerMillion = 10m, PerRequest = 0.001m,
    };

    [Fact]
    public void TheCost_IsTheSettledFiguresAtThePrice_WithItsVersion()
    {
        using var tap = new UsageTap();
        tap.Inspect("""{"choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":200,"prompt_tokens_details":{"cached_tokens":400}}}"""u8);
        var record = new UsageRecord { RequestId = "r", UpstreamModel = "gpt-4o" };

        Settlement().Settle(record, UsageSource.Reported, tap, UpstreamBody, Price);

        Assert.Equal(Price.CostOf(1000, 400, 200, 0, reachedModel: true), record.Cost);
        Assert.Equal(0.005m, record.Cost);
        Assert.Equal("gpt-4o/1970-01-01T00:00:00Z", record.PriceVersion);
    }

    [Fact]
    public void ARequestThatNeverReachedTheModel_CostsNothing_ButKeepsThePriceItWouldHaveUsed()
    {
        using var tap = new UsageTap();
        var record = new UsageRecord { RequestId = "r", UpstreamModel = "gpt-4o" };

        Settlement().Settle(record, UsageSource.None, tap, UpstreamBody, Price);

        Assert.Equal(0m, record.Cost);
        Assert.Equal(Price.Version, record.PriceVersion);
    }
}
