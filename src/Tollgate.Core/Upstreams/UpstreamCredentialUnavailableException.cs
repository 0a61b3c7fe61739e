namespace Tollgate.Upstreams;

/// <summary>
/// No valid credential for the upstream can be had now (Entra ID cannot be reached, or refuses, and any cached token
/// has expired). The request path answers 503; the inner exception is for logs, never for the client.
/// </summary>
public sealed class UpstreamCredentialUnavailableException(string message, Exception? inner) : Exception(message, inner);
