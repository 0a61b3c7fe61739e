namespace Tollgate.Usage;

/// <summary>How a request ended, for the usage record and the request log.</summary>
public enum RequestOutcome
{
    Completed,
    Rejected,
    UpstreamError,
    StreamBroken,
    ClientAborted,
}
