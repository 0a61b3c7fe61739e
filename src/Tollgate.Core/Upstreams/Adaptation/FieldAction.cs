namespace Tollgate.Upstreams.Adaptation;

/// <summary>What happens to a top-level member whatever its value.</summary>
internal enum FieldAction : byte
{
    /// <summary>Kept under its name (its value may still be replaced).</summary>
    None,

    /// <summary>Sent under another name, unless the body already has that name.</summary>
    Rename,

    /// <summary>Removed.</summary>
    Drop,
}
