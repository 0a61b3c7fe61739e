namespace Tollgate.Keys;

/// <summary>An admin request that cannot be carried out: the HTTP status and a message for the administrator.</summary>
public sealed class KeyAdministrationException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}
