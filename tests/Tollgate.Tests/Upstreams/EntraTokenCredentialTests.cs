using Azure.Identity;
using Microsoft.Extensions.Logging;
using Tollgate.Tests.Harness;
using Tollgate.Upstreams;

namespace Tollgate.Tests.Upstreams;

/// <summary>The Entra ID token cache: one shared fetch, refresh ahead of expiry, old token kept through failures.</summary>
public sealed class EntraTokenCredentialTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static (EntraTokenCredential Credential, FakeTokenCredential Source, ManualTimeProvider Clock) Create(string? scope = null, ILogger? logger = null)
    {
        var clock = new ManualTimeProvider(Start);
        var source = new FakeTokenCredential(clock);
        return (new EntraTokenCredential(source, clock, scope, logger) { UpstreamName = "azure" }, source, clock);
    }

    private static async Task<string> ValueAsync(EntraTokenCredential credential)
    {
        var header = await credential.GetHeaderAsync(Ct);
        Assert.NotNull(header);
        Assert.Equal("Authorization", header.Value.Name);
        return header.Value.Value;
    }

    [Fact]
    public async Task FirstCall_FetchesOnce_ForTheCognitiveServicesScope_AndSendsABearerToken()
    {
        var (credential, source, _) = Create();

        Assert.Equal("Bearer tok-1", await ValueAsync(credential));

        Assert.Equal(1, source.Calls);
        Assert.Equal(new[] { "https://cognitiveservices.azure.com/.default" }, Assert.Single(source.Scopes));
        Assert.Equal(EntraTokenCredential.DefaultScope, credential.Scope);
    }

    [Fact]
    public async Task ConfiguredScope_IsTheOneRequested()
    {
        var (credential, source, _) = Create(scope: "https://ai.azure.com/.default");

        await ValueAsync(credential);

        Assert.Equal(new[] { "https://ai.azure.com/.default" }, Assert.Single(source.Scopes));
    }

    [Fact]
    public async Task CallsBeforeTheRefreshPoint_ReuseTheCachedToken()
    {
        var (credential, source, clock) = Create();
        await ValueAsync(credential);

        clock.Advance(TimeSpan.FromMinutes(54));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        }
        await credential.PendingRefresh;

        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task PastTheRefreshPoint_50ConcurrentCallers_GetTheCachedToken_AndOneRefreshRuns()
    {
        var (credential, source, clock) = Create();
        await ValueAsync(credential);
        source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        clock.Advance(TimeSpan.FromMinutes(56));

        var values = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => ValueAsync(credential), Ct)));
        await source.Started.WaitAsync(Ct); // the first fetch
        await source.Started.WaitAsync(Ct); // the refresh

        Assert.All(values, v => Assert.Equal("Bearer tok-1", v));
        Assert.Equal(2, source.Calls);

        source.Gate.SetResult();
        await credential.PendingRefresh;
        Assert.Equal("Bearer tok-2", await ValueAsync(credential));
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task WithoutAToken_50ConcurrentCallers_WaitForOneSharedFetch()
    {
        var (credential, source, _) = Create();
        source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var entered = new CountdownEvent(50);

        var callers = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            var pending = credential.GetHeaderAsync(Ct);
            entered.Signal();
            return await pending;
        }, Ct)).ToArray();
        await Task.Run(() => entered.Wait(Ct), Ct);
        await source.Started.WaitAsync(Ct);
        Assert.All(callers, c => Assert.False(c.IsCompleted));

        source.Gate.SetResult();
        var headers = await Task.WhenAll(callers);

        Assert.All(headers, h => Assert.Equal("Bearer tok-1", h?.Value));
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task RefreshOnFromTheCredential_IsWhenTheRefreshHappens()
    {
        var (credential, source, clock) = Create();
        source.Lifetime = TimeSpan.FromHours(24);
        source.RefreshAfter = TimeSpan.FromHours(12);
        await ValueAsync(credential);

        clock.Advance(TimeSpan.FromHours(11) + TimeSpan.FromMinutes(59));
        Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        await credential.PendingRefresh;
        Assert.Equal(1, source.Calls);

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        await credential.PendingRefresh;
        Assert.Equal(2, source.Calls);
        Assert.Equal("Bearer tok-2", await ValueAsync(credential));
    }

    [Fact]
    public async Task ShortLivedToken_IsRefreshedHalfwayThroughItsUsefulLife_NotOnEveryCall()
    {
        var (credential, source, clock) = Create();
        source.Lifetime = TimeSpan.FromMinutes(4); // less than the 5-minute refresh margin
        await ValueAsync(credential);

        // Usable for 3m30s (30 s kept in reserve): refreshed from 1m45s.
        clock.Advance(TimeSpan.FromMinutes(1.5));
        await ValueAsync(credential);
        await credential.PendingRefresh;
        Assert.Equal(1, source.Calls);

        clock.Advance(TimeSpan.FromSeconds(20));
        await ValueAsync(credential);
        await credential.PendingRefresh;
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task FailedRefresh_KeepsServingTheOldTokenUntilItExpires_ThenThrowsUnavailable()
    {
        var (credential, source, clock) = Create();
        await ValueAsync(credential);
        var failure = new CredentialUnavailableException("managed identity endpoint not reachable");
        source.Failure = failure;

        clock.Advance(TimeSpan.FromMinutes(56));
        Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        await credential.PendingRefresh;
        Assert.Equal(2, source.Calls);

        // Within the retry delay: the old token, and no new attempt.
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        await credential.PendingRefresh;
        Assert.Equal(2, source.Calls);

        // After it: the old token still, and another attempt.
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        await credential.PendingRefresh;
        Assert.Equal(3, source.Calls);

        // Served until 30 s before it expires, then refused.
        clock.Advance(Start + TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(29) - clock.GetUtcNow());
        Assert.Equal("Bearer tok-1", await ValueAsync(credential));
        await credential.PendingRefresh;
        clock.Advance(TimeSpan.FromSeconds(1));
        var refused = await Assert.ThrowsAsync<UpstreamCredentialUnavailableException>(() => credential.GetHeaderAsync(Ct).AsTask());
        Assert.Same(failure, refused.InnerException);
    }

    [Fact]
    public async Task WithoutAToken_AFailedFetchThrowsUnavailable_AndTheNextWaitsForTheRetryDelay()
    {
        var (credential, source, clock) = Create();
        source.Failure = new AuthenticationFailedException("refused");

        await Assert.ThrowsAsync<UpstreamCredentialUnavailableException>(() => credential.GetHeaderAsync(Ct).AsTask());
        await Assert.ThrowsAsync<UpstreamCredentialUnavailableException>(() => credential.GetHeaderAsync(Ct).AsTask());
        Assert.Equal(1, source.Calls);

        source.Failure = null;
        clock.Advance(credential.RetryDelay);
        Assert.Equal("Bearer tok-2", await ValueAsync(credential));
        Assert.Equal(2, source.Calls);
    }

    [Fact]
    public async Task AFetchOverTheTimeout_CountsAsFailed()
    {
        var (credential, source, clock) = Create();
        source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var waiting = credential.GetHeaderAsync(Ct).AsTask();
        await source.Started.WaitAsync(Ct);
        Assert.False(waiting.IsCompleted);
        // The fetch arms its timeout before it calls the credential, so this fires it.
        clock.Advance(credential.FetchTimeout);

        // A real-time bound only so that a fetch that never gives up fails the test instead of hanging it.
        var refused = await Assert.ThrowsAsync<UpstreamCredentialUnavailableException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.IsAssignableFrom<OperationCanceledException>(refused.InnerException);
    }

    [Fact]
    public async Task ACallerGivingUp_DoesNotCancelTheSharedFetch()
    {
        var (credential, source, _) = Create();
        source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var impatient = credential.GetHeaderAsync(cancel.Token).AsTask();
        await source.Started.WaitAsync(Ct);
        var patient = credential.GetHeaderAsync(Ct).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);

        source.Gate.SetResult();
        Assert.Equal("Bearer tok-1", (await patient)?.Value);
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public async Task TheToken_IsInNeitherToStringNorTheLogs()
    {
        var logs = new CapturingLoggerProvider();
        var (credential, source, clock) = Create(logger: logs.CreateLogger("test"));
        var header = await credential.GetHeaderAsync(Ct);
        source.Failure = new CredentialUnavailableException("down");
        clock.Advance(TimeSpan.FromMinutes(56));
        await credential.GetHeaderAsync(Ct);
        await credential.PendingRefresh;

        Assert.DoesNotContain("tok-1", credential.ToString(), StringComparison.Ordinal);
        Assert.Contains("FakeTokenCredential", credential.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tok-1", header.ToString(), StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("azure", StringComparison.Ordinal));
        Assert.All(logs.Lines, l => Assert.DoesNotContain("tok-", l.Message, StringComparison.Ordinal));
    }
}
