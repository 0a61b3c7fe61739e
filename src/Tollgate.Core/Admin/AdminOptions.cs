using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary><c>Tollgate:Admin</c>: the credentials of the admin API, separate from every client key.</summary>
public sealed class AdminOptions
{
    public const string Section = "Tollgate:Admin";

    /// <summary>Admin keys (Id plus Key or KeyHash, as for client keys). None configured: the admin API refuses every call.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];
}
