namespace Tollgate.Tests.Harness;

/// <summary>A response read by <see cref="RawHttpConnection"/>: header names in lower case.</summary>
public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);
