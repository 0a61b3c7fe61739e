namespace Tollgate.Proxy.Parsing;

/// <summary>Checks the value the reader is on; false when it recorded an error.</summary>
internal delegate bool ValueParser(ref ChatJsonReader reader);
