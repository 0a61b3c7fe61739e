using Tollgate.Tests.Harness;
using Tollgate.Upstreams;

namespace Tollgate.Tests.Upstreams;

/// <summary>Static keys' headers, and which credential the settings produce.</summary>
public sealed class UpstreamCredentialTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly ManualTimeProvider Clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(UpstreamAuthStyle.Bearer, "sk-123", "Authorization", "Bearer sk-123")]
    [InlineData(UpstreamAuthStyle.ApiKey, "azure-key", "api-key", "azure-key")]
    public async Task StaticKey_SendsItsHeader(UpstreamAuthStyle style, string secret, string name, string value)
    {
        var header = await new StaticKeyCredential(style, secret).GetHeaderAsync(Ct);

        Assert.NotNull(header);
        Assert.Equal(name, header.Value.Name);
        Assert.Equal(value, header.Value.Value);
    }

    [Theory]
    [InlineData(UpstreamAuthStyle.None, "ignored")]
    [InlineData(UpstreamAuthStyle.Bearer, "")]
    [InlineData(UpstreamAuthStyle.ApiKey, null)]
    public async Task StaticKey_WithoutStyleOrSecret_SendsNoHeader(UpstreamAuthStyle style, string? secret)
    {
        Assert.Null(await new StaticKeyCredential(style, secret).GetHeaderAsync(Ct));
        Assert.Null(await UpstreamCredential.None.GetHeaderAsync(Ct));
    }

    [Fact]
    public void StaticKey_AnswersSynchronously_WithoutAllocating()
    {
        var credential = new StaticKeyCredential(UpstreamAuthStyle.ApiKey, "azure-key");
        Assert.True(CallSynchronously(credential, 1));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var allSynchronous = CallSynchronously(credential, 1000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allSynchronous);
        Assert.Equal(0, allocated);
    }

    /// <summary>Calls <paramref name="times"/> times, true when every call completed at once (the hot path's contract).</summary>
    private static bool CallSynchronously(UpstreamCredential credential, int times)
    {
        var synchronous = true;
        for (var i = 0; i < times; i++)
        {
            var pending = credential.GetHeaderAsync(CancellationToken.None);
            synchronous &= pending.IsCompletedSuccessfully && pending.Result is not null;
        }
        return synchronous;
    }

    [Fact]
    public async Task StaticKey_ToString_DoesNotShowTheSecret()
    {
        var credential = new StaticKeyCredential(UpstreamAuthStyle.Bearer, "sk-secret");
        var header = await credential.GetHeaderAsync(Ct);

        Assert.DoesNotContain("sk-secret", credential.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret", header.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(AzureOpenAiAuthMode.ApiKey)]
    public async Task Create_WithoutEntra_IsTheStaticKey(AzureOpenAiAuthMode? mode)
    {
        var azure = mode is { } m ? new AzureOpenAiOptions { AuthMode = m } : null;

        var credential = UpstreamCredential.Create("azure", UpstreamAuthStyle.ApiKey, "azure-key", azure, Clock);

        Assert.IsType<StaticKeyCredential>(credential);
        Assert.Equal("api-key", (await credential.GetHeaderAsync(Ct))?.Name);
    }

    [Fact]
    public async Task Create_WithEntra_TakesTokensFromTheGivenCredential_ForTheConfiguredScope()
    {
        var source = new FakeTokenCredential(Clock, "entra");
        var azure = new AzureOpenAiOptions { AuthMode = AzureOpenAiAuthMode.Entra, TokenScope = "https://ai.azure.com/.default" };

        var credential = UpstreamCredential.Create("azure", UpstreamAuthStyle.None, null, azure, Clock, tokenCredential: source);

        var entra = Assert.IsType<EntraTokenCredential>(credential);
        Assert.Equal("https://ai.azure.com/.default", entra.Scope);
        Assert.Equal("azure", entra.UpstreamName);
        Assert.Equal("Bearer entra-1", (await credential.GetHeaderAsync(Ct))?.Value);
    }

    [Fact]
    public void Create_WithEntra_UsesTheUserAssignedIdentity_WhenAClientIdIsSet_ElseDefaultAzureCredential()
    {
        var assigned = new AzureOpenAiOptions { AuthMode = AzureOpenAiAuthMode.Entra, ManagedIdentityClientId = "0b7c6e0e-8d47-4a57-b1d0-3d1a4f1f5e21" };
        var ambient = new AzureOpenAiOptions { AuthMode = AzureOpenAiAuthMode.Entra };

        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(UpstreamCredential.CreateTokenCredential(assigned));
        Assert.IsType<Azure.Identity.DefaultAzureCredential>(UpstreamCredential.CreateTokenCredential(ambient));
        var entra = Assert.IsType<EntraTokenCredential>(UpstreamCredential.Create("azure", UpstreamAuthStyle.None, null, assigned, Clock));
        Assert.Equal(EntraTokenCredential.DefaultScope, entra.Scope);
        Assert.Contains("ManagedIdentityCredential", entra.ToString(), StringComparison.Ordinal);
    }
}
