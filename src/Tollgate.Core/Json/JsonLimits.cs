namespace Tollgate.Json;

/// <summary>Limits shared by every pass over a client's request body.</summary>
public static class JsonLimits
{
    /// <summary>
    /// The deepest nesting a request body may have: the request parser refuses a deeper body, and every later pass over
    /// an accepted body (an upstream's request adaptation) reads it with the same limit.
    /// </summary>
    public const int MaxRequestDepth = 64;
}
