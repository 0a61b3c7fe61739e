namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// What a <see cref="RequestAdaptation"/> does to one top-level field, by its UTF-8 name: rename it, drop it, replace
/// some of its string values, or nothing but note that it is present (the target of a rename).
/// </summary>
internal sealed class FieldRule(byte[] name, FieldAction action, ReadOnlyMemory<byte> renamedKey, int target, ValueReplacement[] replacements)
{
    public byte[] Name { get; } = name;

    public FieldAction Action { get; } = action;

    /// <summary>For <see cref="FieldAction.Rename"/>: the new key token, quotes included.</summary>
    public ReadOnlyMemory<byte> RenamedKey { get; } = renamedKey;

    /// <summary>For <see cref="FieldAction.Rename"/>: the index of the target's rule, whose presence drops this member.</summary>
    public int Target { get; } = target;

    public ValueReplacement[] Replacements { get; } = replacements;

    /// <summary>How many edits this field can produce in one body.</summary>
    public int MaxEdits => Action switch
    {
        FieldAction.Drop => 1,
        FieldAction.Rename => Replacements.Length > 0 ? 2 : 1,
        _ => Replacements.Length > 0 ? 1 : 0,
    };
}
