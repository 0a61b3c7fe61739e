namespace Tollgate.Storage;

/// <summary>
/// The parts of a storage connection string Tollgate uses: the Table endpoint and the shared key.
/// <c>UseDevelopmentStorage=true</c> means Azurite on its default local port.
/// </summary>
public sealed record StorageConnection(Uri TableEndpoint, string AccountName, byte[] AccountKey)
{
    public const string DevelopmentAccount = "devstoreaccount1";

    /// <summary>Azurite's published, fixed development key (not a secret).</summary>
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static StorageConnection Parse(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = segment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException("The storage connection string is malformed (expected Name=Value pairs).");
            }
            parts[segment[..eq]] = segment[(eq + 1)..];
        }

        if (parts.TryGetValue("UseDevelopmentStorage", out var dev) && dev.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var proxy = parts.TryGetValue("DevelopmentStorageProxyUri", out var p) ? p.TrimEnd('/') : "http://127.0.0.1";
            return new StorageConnection(new Uri($"{proxy}:10002/{DevelopmentAccount}"), DevelopmentAccount, Convert.FromBase64String(DevelopmentKey));
        }

        if (!parts.TryGetValue("AccountName", out var account) || !parts.TryGetValue("AccountKey", out var key))
        {
            throw new FormatException("The storage connection string needs AccountName and AccountKey (or UseDevelopmentStorage=true); for managed identity set TableEndpoint instead.");
        }
        byte[] keyBytes;
        try
        {
            keyBytes = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            throw new FormatException("The storage connection string's AccountKey is not base64.");
        }

        Uri endpoint;
        if (parts.TryGetValue("TableEndpoint", out var explicitEndpoint))
        {
            endpoint = new Uri(explicitEndpoint.TrimEnd('/'));
        }
        else
        {
            var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol", "https");
            var suffix = parts.GetValueOrDefault("EndpointSuffix", "core.windows.net");
            endpoint = new Uri($"{protocol}://{account}.table.{suffix}");
        }
        return new StorageConnection(endpoint, account, keyBytes);
    }

    public override string ToString() => $"StorageConnection({TableEndpoint.Host})";
}
