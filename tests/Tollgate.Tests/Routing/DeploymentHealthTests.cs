using System.Net;
using System.Net.Http.Headers;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Tollgate.Routing;
using Tollgate.Tests.Harness;
using Tollgate.Upstreams;

namespace Tollgate.Tests.Routing;

public sealed class DeploymentHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> Answer(HttpStatusCode status) => Task.FromResult(new HttpResponseMessage(status));

    /// <summary>One call through the deployment, as the request path makes it: begun, sent, disposed.</summary>
    private static async Task<HttpResponseMessage> Send(DeploymentHealth health, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send,
        HttpRequestMessage message, CancellationToken attempt, CancellationToken clientAborted, AttemptLimit limit = AttemptLimit.None)
    {
        using var call = health.Begin(attempt, clientAborted, limit);
        return await call.SendAsync(send, message);
    }

    [Fact]
    public async Task TheCircuitOpensOnFailures_LetsOneProbeThroughAfterTheBreak_AndClosesWhenItSucceeds()
    {
        var clock = new ManualTimeProvider(T0);
        var options = new ResilienceOptions { MinimumThroughput = 4, FailureRatio = 0.5, SamplingDuration = TimeSpan.FromSeconds(30), BreakDuration = TimeSpan.FromSeconds(10) };
        var health = new DeploymentHealth("a/m", options, clock);
        using var message = new HttpRequestMessage();

        for (var i = 0; i < 4; i++)
        {
            (await Send(health, (_, _) => Answer(HttpStatusCode.ServiceUnavailable), message, Ct, Ct)).Dispose();
        }
        Assert.Equal(DeploymentState.CircuitOpen, health.StateAt(clock.GetUtcNow()));
        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await Send(health, (_, _) => Answer(HttpStatusCode.OK), message, Ct, Ct));

        clock.Advance(TimeSpan.FromSeconds(10));
        // Half-open: one probe goes through; it succeeds and the circuit closes.
        (await Send(health, (_, _) => Answer(HttpStatusCode.OK), message, Ct, Ct)).Dispose();
        Assert.Equal(CircuitState.Closed, health.Circuit);
        Assert.Equal(DeploymentState.Available, health.StateAt(clock.GetUtcNow()));
    }

    /// <summary>A deployment that never answers: the call ends only when its token is cancelled.</summary>
    private static async Task<HttpResponseMessage> NeverAnswers(CancellationToken token)
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, token);
        throw new InvalidOperationException("unreachable");
    }

    [Fact]
    public async Task AnAttemptPastItsTimeout_IsRejected_AndCountsAsAFailure_WhileWithoutALimitItWaits()
    {
        var clock = new ManualTimeProvider(T0);
        var options = new ResilienceOptions { StreamAttemptTimeout = TimeSpan.FromSeconds(2), AttemptTimeout = TimeSpan.FromSeconds(5), MinimumThroughput = 3 };
        var health = new DeploymentHealth("a/m", options, clock);
        using var message = new HttpRequestMessage();

        using (var caller = new CancellationTokenSource())
        {
            // No limit: an hour later the call still waits; only the caller's token ends it, and that is no failure of the deployment's.
            var waiting = Send(health, (_, ct) => NeverAnswers(ct), message, caller.Token, caller.Token);
            clock.Advance(TimeSpan.FromHours(1));
            Assert.False(waiting.IsCompleted);
            await caller.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }
        Assert.Equal(CircuitState.Closed, health.Circuit);

        var stream = Send(health, (_, ct) => NeverAnswers(ct), message, Ct, Ct, AttemptLimit.Stream);
        clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(stream.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        await Assert.ThrowsAsync<TimeoutRejectedException>(() => stream);

        var answer = Send(health, (_, ct) => NeverAnswers(ct), message, Ct, Ct, AttemptLimit.Answer);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(answer.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutRejectedException>(() => answer);

        // Two timeouts out of three calls in the sampling window (the one the caller ended is no failure): the circuit opens.
        Assert.Equal(CircuitState.Open, health.Circuit);
    }

    [Theory]
    [InlineData("00:00:00.005", null)]
    [InlineData("1.00:00:01", null)]
    [InlineData("00:00:30", "00:00:00.001")]
    [InlineData("00:00:30", "2.00:00:00")]
    public void AttemptTimeoutsOutsideWhatPollyTakes_AreRefusedInTollgatesOwnTerms(string stream, string? answer)
    {
        var options = new ResilienceOptions
        {
            StreamAttemptTimeout = TimeSpan.Parse(stream, System.Globalization.CultureInfo.InvariantCulture),
            AttemptTimeout = answer is null ? null : TimeSpan.Parse(answer, System.Globalization.CultureInfo.InvariantCulture),
        };
        Assert.Equal("Tollgate:Resilience:StreamAttemptTimeout and AttemptTimeout must be between 10 ms and 24 hours.", options.Problem());
        var refused = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new DeploymentHealth("a/m", options, TimeProvider.System));
        Assert.Contains("Tollgate:Resilience:StreamAttemptTimeout", refused.Message, StringComparison.Ordinal);
        Assert.Null(new ResilienceOptions { StreamAttemptTimeout = TimeSpan.FromMilliseconds(10), AttemptTimeout = TimeSpan.FromDays(1) }.Problem());
    }

    [Fact]
    public async Task WithoutAttemptTimeout_AnAnswersCallHasNoLimitOfItsOwn()
    {
        var clock = new ManualTimeProvider(T0);
        var health = new DeploymentHealth("a/m", new ResilienceOptions { StreamAttemptTimeout = TimeSpan.FromSeconds(2) }, clock);
        using var message = new HttpRequestMessage();
        using var caller = new CancellationTokenSource();
        var answer = Send(health, (_, ct) => NeverAnswers(ct), message, caller.Token, caller.Token, AttemptLimit.Answer);
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(answer.IsCompleted);
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answer);
    }

    [Fact]
    public async Task ClientErrors_429_AndClientsLeaving_NeverCountAsFailures()
    {
        var clock = new ManualTimeProvider(T0);
        var health = new DeploymentHealth("a/m", new ResilienceOptions { MinimumThroughput = 2 }, clock);
        using var message = new HttpRequestMessage();
        using var left = new CancellationTokenSource();
        await left.CancelAsync();
        for (var i = 0; i < 10; i++)
        {
            (await Send(health, (_, _) => Answer(HttpStatusCode.BadRequest), message, Ct, Ct)).Dispose();
            (await Send(health, (_, _) => Answer(HttpStatusCode.TooManyRequests), message, Ct, Ct)).Dispose();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                await Send(health, (_, ct) => Task.FromCanceled<HttpResponseMessage>(left.Token), message, left.Token, left.Token));
        }
        Assert.Equal(CircuitState.Closed, health.Circuit);
    }

    [Fact]
    public void RetryAfter_InSecondsOrAsADate_KeepsTheDeploymentOut_CappedAtMaxRetryAfter()
    {
        var clock = new ManualTimeProvider(T0);
        var health = new DeploymentHealth("a/m", new ResilienceOptions { MaxRetryAfter = TimeSpan.FromMinutes(5) }, clock);

        health.MarkRetryAfter(UpstreamErrorMapper.RetryAfterUntil(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), T0)!.Value);
        Assert.Equal(DeploymentState.RetryAfter, health.StateAt(T0.AddSeconds(6)));
        Assert.Equal(DeploymentState.Available, health.StateAt(T0.AddSeconds(7)));

        health.MarkRetryAfter(UpstreamErrorMapper.RetryAfterUntil(new RetryConditionHeaderValue(T0.AddSeconds(20)), T0)!.Value);
        Assert.Equal(T0.AddSeconds(20), health.RetryAfterUntil);
        health.MarkRetryAfter(T0.AddHours(3));
        Assert.Equal(T0.AddMinutes(5), health.RetryAfterUntil);
    }

    [Fact]
    public void OutOfBalance_LeavesTheDeploymentOutForTheCooldown_AndSaysSoOncePerCooldown()
    {
        var clock = new ManualTimeProvider(T0);
        var health = new DeploymentHealth("a/m", new ResilienceOptions { BalanceCooldown = TimeSpan.FromMinutes(5) }, clock);
        Assert.True(health.MarkOutOfBalance());
        Assert.False(health.MarkOutOfBalance());
        Assert.Equal(DeploymentState.OutOfBalance, health.StateAt(clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(DeploymentState.Available, health.StateAt(clock.GetUtcNow()));
        Assert.True(health.MarkOutOfBalance());
        Assert.True(UpstreamErrorMapper.IsOutOfBalance(429, """{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"""u8));
        Assert.False(UpstreamErrorMapper.IsOutOfBalance(429, """{"error":{"message":"Rate limit reached"}}"""u8));
    }
}
