using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tollgate.Hosting;

namespace Tollgate.Tests.Hosting;

/// <summary>
/// Start-up validation of the configuration through <c>AddTollgate</c>: each feature's options are validated next to
/// their class, and a bad setting fails start-up naming its path.
/// </summary>
public sealed class ConfigurationValidationTests
{
    /// <summary>The options bound at the top of the <c>Tollgate</c> section (the request path's, routing's, keys', the upstream client's).</summary>
    private static void ResolveTopLevelOptions(IServiceProvider provider)
    {
        _ = provider.GetRequiredService<IOptions<Tollgate.Proxy.ProxyOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<Tollgate.Routing.RoutingOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<Tollgate.Keys.KeysOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<Tollgate.Upstreams.UpstreamClientOptions>>().Value;
    }

    private static OptionsValidationException? Validate(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();
        try
        {
            ResolveTopLevelOptions(provider);
            return null;
        }
        catch (OptionsValidationException e)
        {
            return e;
        }
    }

    /// <summary>One upstream and one key: a configuration that starts.</summary>
    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["Tollgate:Upstreams:a:BaseUrl"] = "https://api.example.com",
        ["Tollgate:Upstreams:a:Secret"] = "sk",
        ["Tollgate:Upstreams:a:Models:m"] = "n",
        ["Tollgate:Keys:0:Id"] = "k",
        ["Tollgate:Keys:0:Key"] = "tg-1",
    };

    [Fact]
    public void ValidConfiguration_Passes() => Assert.Null(Validate(ValidSettings()));

    [Theory]
    [InlineData("Tollgate:Upstreams:a:BaseUrl", "not a url", "Tollgate:Upstreams:a:BaseUrl")]
    [InlineData("Tollgate:Upstreams:a:BaseUrl", "ftp://x", "Tollgate:Upstreams:a:BaseUrl")]
    [InlineData("Tollgate:Upstreams:a:Secret", "", "Tollgate:Upstreams:a:Secret")]
    [InlineData("Tollgate:Keys:0:Key", "", "Tollgate:Keys:0")]
    [InlineData("Tollgate:Keys:0:Id", "", "Tollgate:Keys:0:Id")]
    [InlineData("Tollgate:MaxRequestBodyBytes", "10", "Tollgate:MaxRequestBodyBytes")]
    [InlineData("Tollgate:StreamIdleTimeout", "00:00:00", "Tollgate:StreamIdleTimeout")]
    [InlineData("Tollgate:UpstreamConnectTimeout", "00:00:00", "Tollgate:UpstreamConnectTimeout must be positive")]
    [InlineData("Tollgate:Keys:0:Owner", "team/x", "Tollgate:Keys:0:Owner must be 1 to 128 printable characters without '/'")]
    [InlineData("Tollgate:Keys:0:Owner", "50%", "Tollgate:Keys:0:Owner")]
    [InlineData("Tollgate:Keys:0:Models:0", "not-served", "Tollgate:Keys:0:Models: 'not-served'")]
    public void BadSetting_FailsNamingItsPath(string key, string value, string path)
    {
        var settings = ValidSettings();
        settings[key] = value;
        var error = Validate(settings);
        Assert.NotNull(error);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("team/x")]
    [InlineData("back\\slash")]
    [InlineData("..")]
    public void AnOwnerBudgetInConfiguration_ForAnOwnerNoRouteCanName_StopsStartUp(string owner)
    {
        var settings = ValidSettings();
        settings[$"Tollgate:Quota:OwnerBudgets:{owner}:Amount"] = "10";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();
        var error = Assert.ThrowsAny<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Tollgate.Quota.QuotaOptions>>().Value);
        Assert.Contains($"Tollgate:Quota:OwnerBudgets: the owner '{owner}' must be 1 to 128 printable characters without '/'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Tollgate:Upstreams:a:Secret", "Tollgate:Upstreams:a:Secret")]
    [InlineData("Tollgate:Keys:0:Key", "Tollgate:Keys:0:Key")]
    [InlineData("Tollgate:KeyPepper", "Tollgate:KeyPepper")]
    [InlineData("Tollgate:Admin:Keys:0:KeyHash", "Tollgate:Admin:Keys:0:KeyHash")]
    [InlineData("Tollgate:Storage:ConnectionString", "Tollgate:Storage:ConnectionString")]
    public void AnUnresolvedKeyVaultReference_StopsStartUp_NamingTheSetting(string key, string path)
    {
        const string reference = "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/upstream-a/)";
        var settings = ValidSettings();
        settings["Tollgate:Admin:Keys:0:Id"] = "admin";
        settings["Tollgate:Admin:Keys:0:KeyHash"] = new string('a', 64);
        settings[key] = reference;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();
        var error = Assert.ThrowsAny<OptionsValidationException>(() =>
        {
            ResolveTopLevelOptions(provider);
            _ = provider.GetRequiredService<IOptions<Tollgate.Admin.AdminOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<Tollgate.Storage.StorageOptions>>().Value;
        });
        Assert.Contains($"{path} is a Key Vault reference that was not resolved", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("vault.azure.net", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelMap_AddsModelsInOneSetting_ForHostsWhoseSettingNamesCannotCarryThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Upstreams:a:BaseUrl"] = "https://api.example.com",
            ["Tollgate:Upstreams:a:Secret"] = "sk",
            ["Tollgate:Upstreams:a:ModelMap"] = "gpt-4.1 ; gpt-4o-mini=gpt-4o-mini-2024-07-18,o3",
            ["Tollgate:Upstreams:a:Models:extra"] = "extra-upstream",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();

        var models = provider.GetRequiredService<IOptions<Tollgate.Routing.RoutingOptions>>().Value.Upstreams["a"].Models;
        Assert.Equal(new Dictionary<string, string>
        {
            ["gpt-4.1"] = "gpt-4.1", ["gpt-4o-mini"] = "gpt-4o-mini-2024-07-18", ["o3"] = "o3", ["extra"] = "extra-upstream",
        }, models);
        Assert.True(provider.GetRequiredService<Tollgate.Routing.ModelRouter>().TryGetRoute("gpt-4.1", out _));

        Assert.Contains("Tollgate:Upstreams:a:ModelMap entry '=x'", Validate(new()
        {
            ["Tollgate:Upstreams:a:BaseUrl"] = "https://api.example.com",
            ["Tollgate:Upstreams:a:Secret"] = "sk",
            ["Tollgate:Upstreams:a:ModelMap"] = "m;=x",
        })!.Message, StringComparison.Ordinal);
    }
}
