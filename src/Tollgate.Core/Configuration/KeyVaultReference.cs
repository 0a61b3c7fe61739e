namespace Tollgate.Configuration;

/// <summary>
/// App Service leaves a Key Vault reference as its own text when it cannot resolve it (the secret is missing, or the
/// identity may not read it). Serving with that text as a secret would be wrong in a way nobody sees, so each feature's
/// options validator fails start-up instead, naming the setting (never its value).
/// </summary>
public static class KeyVaultReference
{
    /// <summary>The value is a Key Vault reference App Service did not resolve.</summary>
    public static bool IsUnresolved(string? value) =>
        value is not null && value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    /// <summary>The start-up failure for the setting at <paramref name="path"/>.</summary>
    public static string Unresolved(string path) =>
        $"{path} is a Key Vault reference that was not resolved: the secret does not exist, or the app's identity lacks the Key Vault Secrets User role.";

    /// <summary>Adds <see cref="Unresolved"/> to <paramref name="failures"/> when <paramref name="value"/> is an unresolved reference.</summary>
    public static void AddIfUnresolved(List<string> failures, string path, string? value)
    {
        if (IsUnresolved(value))
        {
            failures.Add(Unresolved(path));
        }
    }
}
