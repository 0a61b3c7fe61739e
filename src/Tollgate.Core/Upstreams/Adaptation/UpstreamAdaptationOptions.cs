namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// How requests are adapted for one upstream that does not take every OpenAI parameter, from
/// <c>Tollgate:Upstreams:{name}:Adapt</c>. Only top-level members of the body are touched; nested keys never are.
/// Compiled once per upstream into a <see cref="RequestAdaptation"/>.
/// </summary>
/// <example>
/// <code>
/// Adapt:Rename:max_tokens = max_completion_tokens
/// Adapt:Drop:0 = top_k
/// Adapt:ReplaceValues:reasoning_effort:minimal = low
/// Adapt:ReplaceValues:reasoning_effort:xhigh =          (empty: the member is dropped)
/// Adapt:Headers:anthropic-version = 2023-06-01
/// </code>
/// </example>
public sealed class UpstreamAdaptationOptions
{
    /// <summary>
    /// Top-level fields sent under another name: the client's name → the upstream's. When the body already has the
    /// target name, the client's explicit target wins and the renamed member is dropped.
    /// </summary>
    public Dictionary<string, string> Rename { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Top-level fields removed from the body, whatever their value.</summary>
    public List<string> Drop { get; set; } = [];

    /// <summary>
    /// Per top-level field, string values replaced by others: field → (client's value → upstream's value). An empty (or
    /// null) replacement drops the member. Fields are named as the client sends them (before any <see cref="Rename"/>);
    /// values that are not strings, or not listed, pass as they are.
    /// </summary>
    public Dictionary<string, Dictionary<string, string?>> ReplaceValues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Fixed headers added to every request to this upstream: name → value.</summary>
    public Dictionary<string, string?> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when nothing is configured.</summary>
    public bool IsEmpty => Rename.Count == 0 && Drop.Count == 0 && ReplaceValues.Count == 0 && Headers.Count == 0;

    /// <summary>
    /// What is wrong with these settings, each problem naming its setting under <paramref name="path"/>
    /// (e.g. <c>Tollgate:Upstreams:acme:Adapt</c>); empty when they can be compiled.
    /// </summary>
    public IReadOnlyList<string> Validate(string path) => AdaptationValidator.Problems(this, path);
}
