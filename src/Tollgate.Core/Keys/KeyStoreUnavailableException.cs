namespace Tollgate.Keys;

/// <summary>The key store could not be asked (storage outage) and nothing usable was cached: answer 503, not 401.</summary>
public sealed class KeyStoreUnavailableException(Exception inner) : Exception("The key store is unavailable.", inner);
