namespace Tollgate.MockUpstream;

/// <summary>What the mock received, for tests to check what the gateway forwarded.</summary>
public sealed class RecordedRequest
{
    public required string Path { get; init; }
    public required Dictionary<string, string> Headers { get; init; }
    public required string Body { get; init; }
    public bool Completed { get; set; }
    public bool Cancelled { get; set; }
}
