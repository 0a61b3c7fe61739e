namespace Tollgate.Upstreams;

/// <summary>
/// The credential header for one upstream request, e.g. <c>Authorization: Bearer …</c> or <c>api-key: …</c>.
/// <see cref="ToString"/> names the header only, so the value cannot end up in a log line by accident.
/// </summary>
public readonly struct UpstreamAuthHeader(string name, string value)
{
    public string Name { get; } = name;

    /// <summary>The secret header value, ready to send. Never log it.</summary>
    public string Value { get; } = value;

    public override string ToString() => Name + ": (redacted)";
}
