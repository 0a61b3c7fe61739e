namespace Tollgate.Proxy;

/// <summary>Why an attempt at a deployment produced no response (<see cref="AttemptClassifier.ForFault"/>).</summary>
public enum AttemptFault
{
    /// <summary>The upstream's credential gave no sign-in (no Entra ID token): nothing was sent.</summary>
    NoCredential,

    /// <summary>The deployment's circuit did not let the call through: nothing was sent.</summary>
    CircuitOpen,

    /// <summary>The attempt's own timeout passed before the response headers; the request's deadline has not.</summary>
    AttemptTimeout,

    /// <summary>The request's deadline (<c>UpstreamResponseTimeout</c>, shared by every attempt) passed.</summary>
    DeadlinePassed,

    /// <summary>No connection could be made (refused, name resolution, TLS): the request never left.</summary>
    Unreachable,

    /// <summary>The connection failed otherwise, perhaps after the request was sent.</summary>
    ConnectionLost,
}
