namespace Tollgate.Usage;

/// <summary><c>Tollgate:Usage</c>: how usage records are buffered and written to Table Storage.</summary>
public sealed class UsageLedgerOptions
{
    public const string Section = "Tollgate:Usage";

    /// <summary>Records that may wait for storage (in flight plus queued). When full, new requests get 503.</summary>
    public int BufferCapacity { get; set; } = 50_000;

    /// <summary>Longest a record waits before its batch is written.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between retries while storage is failing.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
