namespace Tollgate.Keys;

/// <summary>A key administration request that cannot be carried out: why, and a message safe to show the administrator.</summary>
public sealed class KeyAdministrationException(KeyAdministrationError error, string message) : Exception(message)
{
    private const int MaxIdShown = 64;

    public KeyAdministrationError Error { get; } = error;

    public static KeyAdministrationException NotFound(string id) =>
        new(KeyAdministrationError.NotFound, $"No key has the id '{(id.Length <= MaxIdShown ? id : string.Concat(id.AsSpan(0, MaxIdShown), "…"))}'.");
}
