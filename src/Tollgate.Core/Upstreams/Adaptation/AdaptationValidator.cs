namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// The checks behind <see cref="UpstreamAdaptationOptions.Validate"/>: field names a splice can write verbatim, rules that
/// cannot contradict each other (so one pass decides every member alone), and headers that cannot override the
/// gateway's own. Messages name the setting, never a header's value.
/// </summary>
internal static class AdaptationValidator
{
    /// <summary>The longest field name a rule may use.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The most distinct fields one upstream may adapt (renamed, dropped or with replaced values).</summary>
    public const int MaxFields = 16;

    private const string PlainName = "a plain JSON property name (1 to 64 ASCII letters, digits, '_', '-' or '.')";

    /// <summary>Fields the gateway itself reads or writes: never renamed, dropped or replaced.</summary>
    private static readonly string[] Reserved = ["model", "messages", "stream"];

    /// <summary>
    /// Headers the gateway or the HTTP stack owns: the credentials, the framing, the request id and the media type it
    /// negotiates, and the hop-by-hop headers that must not be forwarded (RFC 9110 section 7.6.1). Every
    /// <c>Content-*</c> header is refused as well: the body is the gateway's.
    /// </summary>
    private static readonly HashSet<string> ForbiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "api-key", "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Accept", "X-Request-Id",
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Upgrade", "Expect",
    };

    public static IReadOnlyList<string> Problems(UpstreamAdaptationOptions options, string path)
    {
        var problems = new List<string>();
        CheckRenames(options, path, problems);
        CheckDrops(options, path, problems);
        CheckReplacements(options, path, problems);
        CheckHeaders(options, path, problems);

        var fields = new HashSet<string>(options.Rename.Keys, StringComparer.Ordinal);
        fields.UnionWith(options.Drop.Where(name => name is not null));
        fields.UnionWith(options.ReplaceValues.Keys);
        if (fields.Count > MaxFields)
        {
            problems.Add($"{path} adapts {fields.Count} fields; at most {MaxFields} are allowed.");
        }
        return problems;
    }

    /// <summary>True for 1 to <see cref="MaxNameLength"/> ASCII letters, digits, '_', '-' or '.': nothing JSON would escape.</summary>
    public static bool IsPlainName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    private static void CheckRenames(UpstreamAdaptationOptions options, string path, List<string> problems)
    {
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in options.Rename)
        {
            var setting = $"{path}:Rename:{Show(from)}";
            if (!IsPlainName(from))
            {
                problems.Add($"{setting} must name {PlainName}.");
                continue;
            }
            if (!IsPlainName(to))
            {
                problems.Add($"{setting} must be {PlainName}.");
                continue;
            }
            if (IsReserved(from) || IsReserved(to) || from == "stream_options" || to == "stream_options")
            {
                problems.Add($"{setting}: model, messages, stream and stream_options are the gateway's own and cannot be renamed or renamed to.");
            }
            else if (from == to)
            {
                problems.Add($"{setting} renames the field to itself.");
            }
            else if (options.Rename.ContainsKey(to))
            {
                problems.Add($"{setting} renames to '{to}', which is itself renamed; rename each client name straight to the upstream's.");
            }
            else if (options.Drop.Contains(to))
            {
                problems.Add($"{setting} renames to '{to}', which Drop removes.");
            }
            else if (!targets.TryAdd(to, from))
            {
                problems.Add($"{setting} and {path}:Rename:{Show(targets[to])} both rename to '{to}'.");
            }
        }
    }

    private static void CheckDrops(UpstreamAdaptationOptions options, string path, List<string> problems)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Drop.Count; i++)
        {
            var name = options.Drop[i];
            var setting = $"{path}:Drop:{i}";
            if (!IsPlainName(name))
            {
                problems.Add($"{setting} must be {PlainName}.");
            }
            else if (IsReserved(name))
            {
                problems.Add($"{setting} cannot drop '{name}': model, messages and stream are the gateway's own.");
            }
            else if (!seen.Add(name))
            {
                problems.Add($"{setting} repeats '{name}'.");
            }
            else if (options.Rename.ContainsKey(name))
            {
                problems.Add($"{setting} drops '{name}', which {path}:Rename:{name} renames; keep one of the two.");
            }
        }
    }

    private static void CheckReplacements(UpstreamAdaptationOptions options, string path, List<string> problems)
    {
        foreach (var (field, values) in options.ReplaceValues)
        {
            var setting = $"{path}:ReplaceValues:{Show(field)}";
            if (!IsPlainName(field))
            {
                problems.Add($"{setting} must name {PlainName}.");
                continue;
            }
            if (IsReserved(field) || field == "stream_options")
            {
                problems.Add($"{setting}: model, messages, stream and stream_options are the gateway's own; their values cannot be replaced.");
                continue;
            }
            if (options.Drop.Contains(field))
            {
                problems.Add($"{setting} replaces values of a field that Drop removes.");
                continue;
            }
            if (options.Rename.FirstOrDefault(rename => rename.Value == field) is { Key: { } source })
            {
                problems.Add($"{setting} names a field that {path}:Rename:{Show(source)} renames to; name it as the client sends it ('{Show(source)}').");
                continue;
            }
            if (values is null || values.Count == 0)
            {
                problems.Add($"{setting} lists no values to replace.");
                continue;
            }
            foreach (var (from, to) in values)
            {
                if (string.IsNullOrEmpty(from))
                {
                    problems.Add($"{setting} has an empty value to replace.");
                }
                else if (from == to)
                {
                    problems.Add($"{setting}:{Show(from)} replaces the value with itself.");
                }
            }
        }
    }

    private static void CheckHeaders(UpstreamAdaptationOptions options, string path, List<string> problems)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in options.Headers)
        {
            var setting = $"{path}:Headers:{Show(name)}";
            if (!IsToken(name))
            {
                problems.Add($"{setting} is not a valid header name (an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~).");
            }
            else if (ForbiddenHeaders.Contains(name) || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{setting}: the gateway sets this header itself (credentials, framing, the body's headers and hop-by-hop headers cannot be configured).");
            }
            else if (!seen.Add(name))
            {
                problems.Add($"{setting} is configured twice (header names ignore case).");
            }
            if (value is null)
            {
                problems.Add($"{setting} needs a value.");
            }
            else if (!value.All(c => c is '\t' or (>= ' ' and <= '~')))
            {
                problems.Add($"{setting} must be printable ASCII, without CR, LF or other control characters.");
            }
            else if (Configuration.KeyVaultReference.IsUnresolved(value))
            {
                problems.Add($"{setting} is a Key Vault reference that was not resolved: the secret does not exist, or the app's identity lacks the Key Vault Secrets User role.");
            }
        }
    }

    private static bool IsReserved(string name) => Array.IndexOf(Reserved, name) >= 0;

    private static bool IsToken(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    /// <summary>A configured name as it may appear in a message: control characters (CR, LF) shown as '?', long names cut.</summary>
    private static string Show(string? name)
    {
        if (name is null)
        {
            return "(null)";
        }
        var shown = string.Create(Math.Min(name.Length, 80), name, static (span, text) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(text[i]) ? '?' : text[i];
            }
        });
        return name.Length > 80 ? shown + "…" : shown;
    }
}
