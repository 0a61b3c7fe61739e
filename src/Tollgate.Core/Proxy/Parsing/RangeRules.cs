using System.Text.Json;

namespace Tollgate.Proxy.Parsing;

/// <summary>The numeric and boolean options the provider docs bound, as one table, and the check that applies a row.</summary>
internal static class RangeRules
{
    private const double Unbounded = double.PositiveInfinity;

    // The rows whose values the request path keeps (what a request may generate, for rate limits and budgets).
    public static readonly RangeRule Choices = new("n", RangeKind.Integer, 1, 128, "must be between 1 and 128.");
    public static readonly RangeRule MaxTokens = new("max_tokens", RangeKind.Integer, 1, Unbounded, "must be at least 1.");
    public static readonly RangeRule MaxCompletionTokens = new("max_completion_tokens", RangeKind.Integer, 1, Unbounded, "must be at least 1.");

    public static readonly RangeRule[] All =
    [
        new("temperature", RangeKind.Number, 0, 2, "must be between 0 and 2."),
        new("top_p", RangeKind.Number, 0, 1, "must be between 0 and 1."),
        new("presence_penalty", RangeKind.Number, -2, 2, "must be between -2 and 2."),
        new("frequency_penalty", RangeKind.Number, -2, 2, "must be between -2 and 2."),
        Choices,
        new("top_logprobs", RangeKind.Integer, 0, 20, "must be between 0 and 20."),
        new("top_k", RangeKind.Integer, 1, Unbounded, "must be at least 1."),
        MaxTokens,
        MaxCompletionTokens,
        new("seed", RangeKind.Integer, -Unbounded, Unbounded, null),
        new("logprobs", RangeKind.Boolean, 0, 1, null),
        new("parallel_tool_calls", RangeKind.Boolean, 0, 1, null),
    ];

    /// <summary>Keeps the value of a row the request path acts on (<c>n</c>, <c>max_tokens</c>, <c>max_completion_tokens</c>); always true.</summary>
    public static bool Keep(ref ChatJsonReader reader, RangeRule rule, ChatRequest request)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            return true;
        }
        if (ReferenceEquals(rule, MaxCompletionTokens))
        {
            request.MaxCompletionTokens = value;
        }
        else if (ReferenceEquals(rule, MaxTokens))
        {
            request.MaxTokens = value;
        }
        else if (ReferenceEquals(rule, Choices))
        {
            request.Choices = (int)value;
        }
        return true;
    }

    /// <summary>The rule for the property name the reader is on, or null.</summary>
    public static RangeRule? Find(ref ChatJsonReader reader)
    {
        foreach (var rule in All)
        {
            if (reader.Is(rule.Utf8Name))
            {
                return rule;
            }
        }
        return null;
    }

    /// <summary>Checks the value the reader is on against <paramref name="rule"/>; null always passes.</summary>
    public static bool Check(ref ChatJsonReader reader, RangeRule rule)
    {
        var token = reader.TokenType;
        if (token == JsonTokenType.Null)
        {
            return true;
        }
        switch (rule.Kind)
        {
            case RangeKind.Boolean:
                return reader.ExpectBoolean(rule.Name);
            case RangeKind.Number:
                if (token != JsonTokenType.Number)
                {
                    return reader.MalformedAt(rule.Name, "must be a number.");
                }
                var number = reader.GetDouble();
                return (number >= rule.Min && number <= rule.Max) || reader.InvalidAt(rule.Name, rule.OutOfRange!);
            default:
                if (token != JsonTokenType.Number)
                {
                    return reader.MalformedAt(rule.Name, "must be an integer.");
                }
                if (!reader.TryGetInt64(out var integer))
                {
                    return reader.InvalidAt(rule.Name, "must be an integer.");
                }
                return (integer >= rule.Min && integer <= rule.Max) || reader.InvalidAt(rule.Name, rule.OutOfRange!);
        }
    }
}
