using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tollgate.Keys;

namespace Tollgate.Benchmarks;

/// <summary>Authenticating a request whose key is already known (configuration store, warm): header parse, hash, lookup.</summary>
public class KeyVerificationBenchmarks
{
    private ApiKeyAuthenticator _authenticator = null!;
    private HttpRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        const string key = "tg-0123456789abcdef-Qk1Hc2VjcmV0S2V5VGhhdElzVGhpcnR5VHdvQnl0ZXNMb25n";
        var options = Options.Create(new KeysOptions { Keys = [new ApiKeyOptions { Id = "bench", Key = key }] });
        var hasher = new KeyHasher(options);
        _authenticator = new ApiKeyAuthenticator(new ConfigurationKeyStore(options, hasher), hasher, TimeProvider.System);
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + key;
        _request = context.Request;
    }

    [Benchmark(Description = "key verification, warm")]
    public async Task<bool> Verify() => (await _authenticator.AuthenticateAsync(_request, CancellationToken.None)).Key is not null;
}
