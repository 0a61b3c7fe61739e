namespace Tollgate.Keys;

/// <summary>A new key and its text. The text is shown once and never stored.</summary>
public sealed record CreatedKey(ApiKey Key, string Text);
