using Azure.Core;

namespace Tollgate.Storage;

/// <summary>Pipeline options: a few quick retries per call; callers such as the ledger add their own longer backoff.</summary>
public sealed class TableClientOptions : ClientOptions
{
    public TableClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 3;
        Retry.Delay = TimeSpan.FromMilliseconds(200);
        Retry.MaxDelay = TimeSpan.FromSeconds(5);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        Diagnostics.IsLoggingEnabled = false;
        Diagnostics.IsTelemetryEnabled = false;
        Diagnostics.IsDistributedTracingEnabled = false;
    }
}
