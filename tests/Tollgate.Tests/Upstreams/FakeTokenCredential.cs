using Azure.Core;

namespace Tollgate.Tests.Upstreams;

/// <summary>
/// A token source that counts its calls, records the scopes asked for, and hands out <c>{prefix}-{n}</c> tokens living
/// <see cref="Lifetime"/> from the clock's now; it can fail, or hold each call until <see cref="Gate"/> opens.
/// </summary>
internal sealed class FakeTokenCredential(TimeProvider clock, string prefix = "tok") : TokenCredential
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Released once per call, as it starts.</summary>
    public SemaphoreSlim Started { get; } = new(0);

    public List<string[]> Scopes { get; } = [];

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>When set, tokens carry <c>RefreshOn = now + RefreshAfter</c>.</summary>
    public TimeSpan? RefreshAfter { get; set; }

    public Exception? Failure { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        lock (Scopes)
        {
            Scopes.Add(requestContext.Scopes);
        }
        Started.Release();
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
        if (Failure is { } failure)
        {
            throw failure;
        }
        var now = clock.GetUtcNow();
        return new AccessToken($"{prefix}-{call}", now + Lifetime, RefreshAfter is { } after ? now + after : null);
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();
}
