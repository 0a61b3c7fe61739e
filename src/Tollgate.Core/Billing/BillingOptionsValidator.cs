using Microsoft.Extensions.Options;

namespace Tollgate.Billing;

/// <summary>Fails start-up on aggregation settings Tollgate cannot roll usage up with, naming the setting's path.</summary>
internal sealed class BillingOptionsValidator : IValidateOptions<BillingOptions>
{
    public ValidateOptionsResult Validate(string? name, BillingOptions options)
    {
        (string Setting, TimeSpan Value)[] durations =
            [("AggregationInterval", options.AggregationInterval), ("LateRecordWindow", options.LateRecordWindow), ("Overlap", options.Overlap)];
        var failures = durations.Where(d => d.Value <= TimeSpan.Zero).Select(d => $"{BillingOptions.Section}:{d.Setting} must be positive.").ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
