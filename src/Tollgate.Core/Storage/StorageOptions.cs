namespace Tollgate.Storage;

/// <summary><c>Tollgate:Storage</c>: where keys and usage records live.</summary>
public sealed class StorageOptions
{
    public const string Section = "Tollgate:Storage";

    /// <summary>A storage connection string (shared key), or <c>UseDevelopmentStorage=true</c> for Azurite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>For managed identity: the Table endpoint, e.g. <c>https://acct.table.core.windows.net</c>.</summary>
    public string? TableEndpoint { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty for the default credential chain.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Prefix of every table name Tollgate creates (letters and digits).</summary>
    public string TablePrefix { get; set; } = "tollgate";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ConnectionString) || !string.IsNullOrWhiteSpace(TableEndpoint);
}
