namespace Tollgate.Proxy;

/// <summary>
/// The request path's limits and timeouts: settings at the top of the <c>Tollgate</c> section (beside the ones
/// <c>Routing/RoutingOptions</c>, <c>Keys/KeysOptions</c> and <c>Upstreams/UpstreamClientOptions</c> read), e.g. <c>Tollgate:MaxRequestBodyBytes</c>.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Tollgate";

    /// <summary>Largest request body accepted; larger ones get 413 without being read past this.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Time allowed to receive the whole request body (defeats slow-drip bodies).</summary>
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A body refused as too large (413) is answered first, then read and thrown away up to this many bytes in all, so
    /// a client still uploading can read the answer before the connection closes (a staged close). A body declared
    /// larger is not read: its connection closes once the answer is out. 0 closes at once. The default is the Azure
    /// Functions host's own request limit.
    /// </summary>
    public long OversizedBodyDrainBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Longest a refused body is drained (see <see cref="OversizedBodyDrainBytes"/>) before its connection is closed.</summary>
    public TimeSpan OversizedBodyDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest non-streaming upstream body relayed; larger ones become 502.</summary>
    public long MaxUpstreamResponseBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Largest single SSE event accepted from an upstream.</summary>
    public int MaxSseEventBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Deadline for the upstream's response headers (and, when not streaming, its whole body). Kept under the
    /// 230 s limit of Azure's front end so the client gets a clean 504 instead of a dropped connection.
    /// </summary>
    public TimeSpan UpstreamResponseTimeout { get; set; } = TimeSpan.FromSeconds(200);

    /// <summary>A stream that sends nothing for this long is cut off as an upstream timeout.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>While a stream waits for its first event, an SSE comment is sent this often to keep front ends from timing out.</summary>
    public TimeSpan StreamHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
