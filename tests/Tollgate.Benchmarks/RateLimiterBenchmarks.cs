using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Keys;
using Tollgate.Quota;

namespace Tollgate.Benchmarks;

/// <summary>
/// A key's rate limits far from the limit, alone: take one request and its token estimate from the key's minute (in
/// memory, from the instance's allowance), write nothing, settle. The flusher renews the lease as a host's would.
/// </summary>
public class RateLimiterBenchmarks
{
    private readonly ApiKey _key = new() { Id = "bench-limited", Hash = KeyHash.Compute("tg-bench"), RequestsPerMinute = 1_000_000_000, TokensPerMinute = 1_000_000_000_000 };
    private KeyRateLimiter _limiter = null!;
    private QuotaFlusher _flusher = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new QuotaOptions());
        var accounts = new LocalAccounts(new MemoryQuotaStore(), options, TimeProvider.System, NullLogger<LocalAccounts>.Instance);
        _limiter = new KeyRateLimiter(accounts, options, TimeProvider.System);
        _flusher = new QuotaFlusher(accounts, options, TimeProvider.System);
        _flusher.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _flusher.StopAsync(CancellationToken.None).GetAwaiter().GetResult();

    [Benchmark(Description = "rate limits: take and settle, far from the limit")]
    public long TakeAndSettle()
    {
        var result = _limiter.AcquireAsync(_key, 1_000, CancellationToken.None).GetAwaiter().GetResult();
        var reservation = result.Reservation;
        _limiter.Settle(ref reservation, 20);
        return result.State.RemainingTokens;
    }
}
