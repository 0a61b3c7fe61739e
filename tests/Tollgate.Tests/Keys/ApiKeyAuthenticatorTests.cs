using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tollgate.Keys;

namespace Tollgate.Tests.Keys;

public sealed class ApiKeyAuthenticatorTests
{
    private static ApiKeyAuthenticator Create(params ApiKeyOptions[] keys)
    {
        var options = Options.Create(new KeysOptions { Keys = [.. keys] });
        var hasher = new KeyHasher(options);
        return new ApiKeyAuthenticator(new ConfigurationKeyStore(options, hasher), hasher, TimeProvider.System);
    }

    private static HttpRequest Request(string? authorization = null, string? apiKey = null, string query = "")
    {
        var context = new DefaultHttpContext();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        if (apiKey is not null)
        {
            context.Request.Headers["api-key"] = apiKey;
        }
        context.Request.QueryString = new QueryString(query);
        return context.Request;
    }

    [Theory]
    [InlineData("Bearer tg-good")]
    [InlineData("bearer tg-good")]
    [InlineData("Bearer   tg-good  ")]
    public async Task BearerKey_IsAccepted(string header)
    {
        var result = await Create(new ApiKeyOptions { Id = "a", Key = "tg-good" }).AuthenticateAsync(Request(header), CancellationToken.None);
        Assert.Equal("a", result.Key?.Id);
    }

    [Fact]
    public async Task AzureStyleApiKeyHeader_IsAccepted()
    {
        var result = await Create(new ApiKeyOptions { Id = "a", Key = "tg-good" }).AuthenticateAsync(Request(apiKey: "tg-good"), CancellationToken.None);
        Assert.Equal("a", result.Key?.Id);
    }

    [Fact]
    public async Task KeyDeclaredByHash_IsAccepted()
    {
        var hash = KeyHash.Compute("tg-hashed").ToHex();
        var result = await Create(new ApiKeyOptions { Id = "h", KeyHash = hash }).AuthenticateAsync(Request("Bearer tg-hashed"), CancellationToken.None);
        Assert.Equal("h", result.Key?.Id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dGc6Z29vZA==")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer tg-good extra")]
    [InlineData("Bearer tg-wrong")]
    [InlineData("Bearer tg-disabled")]
    [InlineData("Bearer tg-expired")]
    public async Task EveryBadCredential_GetsTheSameError(string? header)
    {
        var authenticator = Create(
            new ApiKeyOptions { Id = "a", Key = "tg-good" },
            new ApiKeyOptions { Id = "d", Key = "tg-disabled", Disabled = true },
            new ApiKeyOptions { Id = "e", Key = "tg-expired", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        var result = await authenticator.AuthenticateAsync(Request(header), CancellationToken.None);
        Assert.Null(result.Key);
        Assert.Same(Tollgate.Errors.ApiErrors.InvalidApiKey, result.Error);
    }

    [Fact]
    public async Task KeyInQueryString_IsRefusedEvenWithAGoodHeader()
    {
        var result = await Create(new ApiKeyOptions { Id = "a", Key = "tg-good" }).AuthenticateAsync(Request("Bearer tg-good", query: "?api-key=tg-good"), CancellationToken.None);
        Assert.Null(result.Key);
        Assert.Equal(401, result.Error?.Status);
    }

    [Fact]
    public void Pepper_ChangesTheHash_ToHmacSha256()
    {
        var plain = new KeyHasher(Options.Create(new KeysOptions())).Compute("tg-x");
        var peppered = new KeyHasher(Options.Create(new KeysOptions { KeyPepper = "pepper" })).Compute("tg-x");
        Assert.Equal(KeyHash.Compute("tg-x"), plain);
        Assert.NotEqual(plain, peppered);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("pepper"u8, "tg-x"u8)), peppered.ToHex());
    }

    [Fact]
    public void KeyHash_IsSha256_AndToStringHidesIt()
    {
        var hash = KeyHash.Compute("abc");
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash.ToHex());
        Assert.DoesNotContain("ba78", hash.ToString(), StringComparison.Ordinal);
        Assert.True(hash.FixedTimeEquals(KeyHash.Compute("abc")));
        Assert.False(hash.FixedTimeEquals(KeyHash.Compute("abd")));
    }
}
