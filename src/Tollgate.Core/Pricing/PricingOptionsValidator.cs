using Microsoft.Extensions.Options;

namespace Tollgate.Pricing;

/// <summary>Fails start-up on prices or a currency Tollgate cannot bill with, naming the setting's path.</summary>
internal sealed class PricingOptionsValidator : IValidateOptions<PricingOptions>
{
    public ValidateOptionsResult Validate(string? name, PricingOptions options)
    {
        const string S = PricingOptions.Section;
        var failures = new List<string>();
        if (options.Currency.Length != 3 || !options.Currency.All(char.IsAsciiLetterUpper))
        {
            failures.Add($"{S}:Currency must be an ISO 4217 code such as USD.");
        }
        if (options.CurrencyDecimals is < 0 or > 8)
        {
            failures.Add($"{S}:CurrencyDecimals must be between 0 and 8.");
        }
        if (options.PriceRefreshInterval <= TimeSpan.Zero)
        {
            failures.Add($"{S}:PriceRefreshInterval must be positive.");
        }
        for (var i = 0; i < options.Prices.Count; i++)
        {
            if (options.Prices[i].Problem() is { } problem)
            {
                failures.Add($"{S}:Prices:{i}: {problem}");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
