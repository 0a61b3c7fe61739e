using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tollgate.Hosting;
using Tollgate.Keys;

namespace Tollgate.Tests.Keys;

/// <summary>Keys from configuration as <c>AddTollgate</c> binds and validates them: their budgets.</summary>
public sealed class ConfigurationKeyStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ServiceProvider Provider(Dictionary<string, string?> keySettings)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Upstreams:a:BaseUrl"] = "https://api.example.com",
            ["Tollgate:Upstreams:a:Secret"] = "sk",
            ["Tollgate:Upstreams:a:Models:m"] = "n",
            ["Tollgate:Keys:0:Id"] = "k0",
            ["Tollgate:Keys:0:Key"] = "tg-zero",
        };
        foreach (var (key, value) in keySettings)
        {
            settings[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddTollgate(configuration).BuildServiceProvider();
    }

    private static async Task<ApiKey> FindAsync(ServiceProvider provider, string text)
    {
        var hash = provider.GetRequiredService<KeyHasher>().Compute(text);
        return await provider.GetRequiredService<ConfigurationKeyStore>().FindAsync(hash, Ct) ?? throw new InvalidOperationException("no such key");
    }

    private static string? Failure(Dictionary<string, string?> keySettings)
    {
        using var provider = Provider(keySettings);
        try
        {
            _ = provider.GetRequiredService<IOptions<KeysOptions>>().Value;
            return null;
        }
        catch (OptionsValidationException e)
        {
            return e.Message;
        }
    }

    [Fact]
    public async Task BudgetSettings_Bind_ByNameInAnyCase()
    {
        using var provider = Provider(new()
        {
            ["Tollgate:Keys:1:Id"] = "k1",
            ["Tollgate:Keys:1:Key"] = "tg-one",
            ["Tollgate:Keys:1:Budget:Amount"] = "12.75",
            ["Tollgate:Keys:1:Budget:Tokens"] = "250000",
            ["Tollgate:Keys:1:Budget:Period"] = "week",
            ["Tollgate:Keys:1:Budget:Mode"] = "Soft",
            ["Tollgate:Keys:2:Id"] = "k2",
            ["Tollgate:Keys:2:Key"] = "tg-two",
            ["Tollgate:Keys:2:Budget:Tokens"] = "1000",
        });

        Assert.Equal(new Budget { Amount = 12.75m, Tokens = 250_000, Period = BudgetPeriod.Week, Mode = BudgetMode.Soft }, (await FindAsync(provider, "tg-one")).Budget);
        Assert.Equal(new Budget { Tokens = 1000, Period = BudgetPeriod.Month, Mode = BudgetMode.Hard }, (await FindAsync(provider, "tg-two")).Budget);
        Assert.Null((await FindAsync(provider, "tg-zero")).Budget);
    }

    [Fact]
    public async Task LegacyMonthlyBudgetUsd_IsAHardMonthlyBudget()
    {
        using var provider = Provider(new() { ["Tollgate:Keys:0:MonthlyBudgetUsd"] = "40" });

        Assert.Equal(new Budget { Amount = 40m, Period = BudgetPeriod.Month, Mode = BudgetMode.Hard }, (await FindAsync(provider, "tg-zero")).Budget);
    }

    [Theory]
    [InlineData("Budget:Amount", "-1", "Tollgate:Keys:0:Budget")]
    [InlineData("Budget:Tokens", "-1", "Tollgate:Keys:0:Budget")]
    [InlineData("Budget:Period", "7", "Tollgate:Keys:0:Budget")]
    [InlineData("Budget:Period", "day", "Tollgate:Keys:0:Budget needs Amount, Tokens or both")]
    [InlineData("MonthlyBudgetUsd", "-1", "Tollgate:Keys:0")]
    public void BadBudget_FailsStart_NamingThePath(string setting, string value, string message)
    {
        var failure = Failure(new() { ["Tollgate:Keys:0:" + setting] = value });

        Assert.NotNull(failure);
        Assert.Contains(message, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void BudgetAndMonthlyBudgetUsd_Together_FailStart()
    {
        var failure = Failure(new() { ["Tollgate:Keys:0:Budget:Amount"] = "5", ["Tollgate:Keys:0:MonthlyBudgetUsd"] = "5" });

        Assert.NotNull(failure);
        Assert.Contains("Tollgate:Keys:0 sets both Budget and MonthlyBudgetUsd", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ABudgetOnItsOwn_Passes() =>
        Assert.Null(Failure(new() { ["Tollgate:Keys:0:Budget:Amount"] = "0", ["Tollgate:Keys:0:Budget:Period"] = "credit" }));
}
