using Tollgate.Pricing;

namespace Tollgate.Tests.Pricing;

public sealed class PriceListTests
{
    private static readonly DateTimeOffset Jan = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Mar = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static ModelPrice P(string model, DateTimeOffset from, decimal input, string? upstream = null) =>
        new() { Model = model, Upstream = upstream, EffectiveFrom = from, InputPerMillion = input };

    [Fact]
    public void ThePriceInEffect_IsTheNewestStartedOne_AndPastPeriodsKeepTheirs()
    {
        var list = new PriceList([P("m", Jan, 1m), P("m", Mar, 2m)]);
        Assert.Null(list.Find("m", null, Jan.AddTicks(-1)));
        Assert.Equal(1m, list.Find("m", null, Jan)!.InputPerMillion);
        Assert.Equal(1m, list.Find("m", null, Mar.AddTicks(-1))!.InputPerMillion);
        Assert.Equal(2m, list.Find("m", null, Mar)!.InputPerMillion);
        Assert.Null(list.Find("other", null, Mar));
    }

    [Fact]
    public void AnUpstreamsOwnPrice_WinsWhileInEffect_ElseTheModelsPrice()
    {
        var list = new PriceList([P("m", Jan, 1m), P("m", Mar, 5m, upstream: "azure")]);
        Assert.Equal(1m, list.Find("m", "azure", Jan.AddDays(1))!.InputPerMillion);
        Assert.Equal(5m, list.Find("m", "azure", Mar)!.InputPerMillion);
        Assert.Equal(1m, list.Find("m", "openai", Mar)!.InputPerMillion);
        Assert.Equal(1m, list.Find("m", null, Mar)!.InputPerMillion);
    }

    [Fact]
    public void ALaterEntryForTheSameStart_ReplacesTheEarlierOne()
    {
        var list = new PriceList([P("m", Jan, 1m), P("m", Jan.ToOffset(TimeSpan.FromHours(3)), 7m)]);
        Assert.Equal(7m, Assert.Single(list.All).InputPerMillion);
    }

    [Fact]
    public void Current_ListsOnePricePerModelAndUpstream()
    {
        var list = new PriceList([P("b", Jan, 1m), P("a", Jan, 1m), P("a", Mar, 2m), P("a", Mar.AddYears(1), 3m)]);
        Assert.Equal([("a", 2m), ("b", 1m)], list.Current(Mar.AddDays(1)).Select(p => (p.Model, p.InputPerMillion)));
        Assert.Equal(4, list.All.Count);
    }
}
