using Microsoft.Extensions.Options;

namespace Tollgate.Quota;

/// <summary>Refuses to start with quota options that cannot work, naming the setting.</summary>
public sealed class QuotaOptionsValidator : IValidateOptions<QuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
