using Microsoft.Extensions.Options;

namespace Tollgate.Usage;

/// <summary>Fails start-up on a ledger buffer or interval Tollgate cannot run with, naming the setting's path.</summary>
internal sealed class UsageLedgerOptionsValidator : IValidateOptions<UsageLedgerOptions>
{
    public ValidateOptionsResult Validate(string? name, UsageLedgerOptions options)
    {
        const string S = UsageLedgerOptions.Section;
        var failures = new List<string>();
        if (options.BufferCapacity < 1)
        {
            failures.Add($"{S}:BufferCapacity must be at least 1.");
        }
        if (options.FlushInterval <= TimeSpan.Zero || options.MaxRetryDelay <= TimeSpan.Zero)
        {
            failures.Add($"{S}:FlushInterval and MaxRetryDelay must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
