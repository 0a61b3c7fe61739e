using Tollgate.Keys;
using Tollgate.Routing;
using Tollgate.Upstreams;

namespace Tollgate;

/// <summary>The <c>Tollgate</c> configuration section.</summary>
public sealed class TollgateOptions
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

    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Deadline for the upstream's response headers (and, when not streaming, its whole body). Kept under the
    /// 230 s limit of Azure's front end so the client gets a clean 504 instead of a dropped connection.
    /// </summary>
    public TimeSpan UpstreamResponseTimeout { get; set; } = TimeSpan.FromSeconds(200);

    /// <summary>A stream that sends nothing for this long is cut off as an upstream timeout.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>While a stream waits for its first event, an SSE comment is sent this often to keep front ends from timing out.</summary>
    public TimeSpan StreamHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Upstream providers by name.</summary>
    public Dictionary<string, UpstreamOptions> Upstreams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Routes with several deployments, priorities, weights or aliases, by client model name (see <see cref="RouteOptions"/>).</summary>
    public Dictionary<string, RouteOptions> Routes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Optional secret mixed into every key hash (HMAC-SHA256). Keep it in Key Vault; changing it invalidates
    /// every stored key hash, including <c>Keys:N:KeyHash</c> values.
    /// </summary>
    public string? KeyPepper { get; set; }

    /// <summary>How long a verified key (or an unknown one) is remembered; a revoked or disabled key stops working within this.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many active keys per owner (two make rotation without downtime possible).</summary>
    public int MaxActiveKeysPerOwner { get; set; } = 2;

    /// <summary>Client keys declared in configuration.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];
}
