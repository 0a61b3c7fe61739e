using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>Fails start-up on an admin key Tollgate cannot check, naming the setting (never its value).</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var path = $"{AdminOptions.Section}:Keys:{i}";
            if (KeyVaultReference.IsUnresolved(key.Key) || KeyVaultReference.IsUnresolved(key.KeyHash))
            {
                failures.Add(KeyVaultReference.Unresolved(KeyVaultReference.IsUnresolved(key.Key) ? $"{path}:Key" : $"{path}:KeyHash"));
            }
            else if (string.IsNullOrEmpty(key.Key) == string.IsNullOrEmpty(key.KeyHash))
            {
                failures.Add($"{path} needs exactly one of Key or KeyHash.");
            }
            else if (key.Key is { Length: < 24 })
            {
                failures.Add($"{path}:Key must be at least 24 characters.");
            }
            else if (key.KeyHash is { } hash && !KeyHash.TryParseHex(hash, out _))
            {
                failures.Add($"{path}:KeyHash must be 64 hex digits (SHA-256).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
