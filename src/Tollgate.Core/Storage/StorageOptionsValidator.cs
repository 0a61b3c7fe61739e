using Microsoft.Extensions.Options;
using Tollgate.Configuration;

namespace Tollgate.Storage;

/// <summary>Fails start-up on a storage setting Tollgate cannot use, naming the setting (never its value).</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        const string S = StorageOptions.Section;
        if (options.TablePrefix.Length is 0 or > 40 || !options.TablePrefix.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(options.TablePrefix[0]))
        {
            return ValidateOptionsResult.Fail($"{S}:TablePrefix must be 1 to 40 letters and digits, starting with a letter.");
        }
        if (KeyVaultReference.IsUnresolved(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(KeyVaultReference.Unresolved($"{S}:ConnectionString"));
        }
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                // The SDK parses it (no network call); its message is not echoed, as it may quote the string.
                TableStorage.CreateServiceClient(options);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                return ValidateOptionsResult.Fail($"{S}:ConnectionString is not a storage connection string " +
                    "(UseDevelopmentStorage=true, or DefaultEndpointsProtocol/AccountName/AccountKey[/TableEndpoint]); for managed identity set TableEndpoint instead.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.TableEndpoint) && !Uri.TryCreate(options.TableEndpoint, UriKind.Absolute, out _))
        {
            return ValidateOptionsResult.Fail($"{S}:TableEndpoint must be an absolute URL.");
        }
        return ValidateOptionsResult.Success;
    }
}
