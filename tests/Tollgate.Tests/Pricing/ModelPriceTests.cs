using Tollgate.Pricing;

namespace Tollgate.Tests.Pricing;

public sealed class ModelPriceTests
{
    private static readonly ModelPrice Price = new()
    {
        Model = "gpt-4o",
        EffectiveFrom = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        InputPerMillion = 2.50m,
        CachedInputPerMillion = 1.25m,
        OutputPerMillion = 10.00m,
        PerRequest = 0.0001m,
    };

    [Fact]
    public void CachedTokens_AreTakenOutOfThePrompt_AndPricedAtTheCachedRate()
    {
        // 1,000 prompt tokens of which 400 cached; 200 completion tokens.
        var cost = Price.CostOf(1_000, 400, 200, 0, reachedModel: true);
        Assert.Equal((600 * 2.50m + 400 * 1.25m + 200 * 10.00m) / 1_000_000m + 0.0001m, cost);
        Assert.Equal(0.0041m, cost);
    }

    [Fact]
    public void ReasoningTokens_AreOutput_UnlessPricedApart()
    {
        Assert.Equal(1_000 * 10.00m / 1_000_000m, Price.CostOf(0, 0, 1_000, 800, reachedModel: false));
        var apart = new ModelPrice { Model = "o3", OutputPerMillion = 8m, ReasoningPerMillion = 4m };
        Assert.Equal((200 * 8m + 800 * 4m) / 1_000_000m, apart.CostOf(0, 0, 1_000, 800, reachedModel: false));
    }

    [Fact]
    public void CachedPriceUnset_CostsTheInputRate_NeverNothing()
    {
        var price = new ModelPrice { Model = "m", InputPerMillion = 3m };
        Assert.Equal(1_000 * 3m / 1_000_000m, price.CostOf(1_000, 1_000, 0, 0, reachedModel: false));
    }

    [Fact]
    public void FiguresThatContradictEachOther_AreClamped_NeverNegative()
    {
        // More cached than prompt tokens, more reasoning than completion tokens, negative counts.
        Assert.Equal((100 * 1.25m + 10 * 10m) / 1_000_000m, Price.CostOf(100, 500, 10, 50, reachedModel: false));
        Assert.Equal(0m, Price.CostOf(-5, -1, -7, -2, reachedModel: false));
    }

    [Fact]
    public void ThePerRequestFee_IsChargedOnlyWhenTheModelWasReached()
    {
        Assert.Equal(0.0001m, Price.CostOf(0, 0, 0, 0, reachedModel: true));
        Assert.Equal(0m, Price.CostOf(0, 0, 0, 0, reachedModel: false));
    }

    [Fact]
    public void Version_NamesModelUpstreamAndStart()
    {
        Assert.Equal("gpt-4o/2026-01-01T00:00:00Z", Price.Version);
        var local = new ModelPrice { Model = "m", Upstream = "azure", EffectiveFrom = new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.FromHours(2)) };
        Assert.Equal("m@azure/2026-03-01T00:00:00Z", local.Version);
    }

    [Theory]
    [InlineData("", "Model")]
    [InlineData("m", "negative")]
    public void Problems_AreNamed(string model, string expected)
    {
        var price = new ModelPrice { Model = model, InputPerMillion = model.Length == 0 ? 1 : -1 };
        Assert.Contains(expected, price.Problem(), StringComparison.Ordinal);
        Assert.Null(Price.Problem());
    }
}
