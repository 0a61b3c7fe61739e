using System.Globalization;
using System.Text;
using Tollgate.Proxy;
using Tollgate.Proxy.Parsing;

namespace Tollgate.Tests.Proxy.Parsing;

public sealed class RangeRulesTests
{
    public static TheoryData<string> Names => new(RangeRules.All.Select(r => r.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void EachRule_AcceptsItsBoundsAndNull_AndRejectsJustOutside(string name)
    {
        var rule = RangeRules.All.Single(r => r.Name == name);
        Assert.Null(Parse(name, "null"));
        if (rule.Kind == RangeKind.Boolean)
        {
            Assert.Null(Parse(name, "true"));
            Assert.Equal((400, name, $"'{name}' must be a boolean."), Describe(Parse(name, "1")));
            return;
        }

        var step = rule.Kind == RangeKind.Integer ? 1 : 0.01;
        foreach (var bound in new[] { rule.Min, rule.Max }.Where(double.IsFinite))
        {
            Assert.Null(Parse(name, Format(bound)));
        }
        if (double.IsFinite(rule.Min))
        {
            Assert.Equal((422, name, $"'{name}' {rule.OutOfRange}"), Describe(Parse(name, Format(rule.Min - step))));
        }
        if (double.IsFinite(rule.Max))
        {
            Assert.Equal((422, name, $"'{name}' {rule.OutOfRange}"), Describe(Parse(name, Format(rule.Max + step))));
        }
        var kind = rule.Kind == RangeKind.Integer ? "an integer" : "a number";
        Assert.Equal((400, name, $"'{name}' must be {kind}."), Describe(Parse(name, "\"1\"")));
    }

    [Fact]
    public void EveryBoundedRule_HasAMessageNamingItsBounds()
    {
        foreach (var rule in RangeRules.All.Where(r => double.IsFinite(r.Min) && r.Kind != RangeKind.Boolean))
        {
            Assert.NotNull(rule.OutOfRange);
            Assert.Contains(Format(rule.Min), rule.OutOfRange, StringComparison.Ordinal);
            if (double.IsFinite(rule.Max))
            {
                Assert.Contains(Format(rule.Max), rule.OutOfRange, StringComparison.Ordinal);
            }
        }
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static (int, string?, string)? Describe(Tollgate.Errors.ApiError? error) =>
        error is null ? null : (error.Status, error.Param, error.Message);

    private static Tollgate.Errors.ApiError? Parse(string name, string value) =>
        ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"" + name + "\":" + value + "}"), out _);
}
