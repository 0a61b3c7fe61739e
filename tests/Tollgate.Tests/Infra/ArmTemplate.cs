using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tollgate.Tests.Infra;

/// <summary>
/// A value the template computes only at deployment time (a resource's runtime property, a generated name).
/// It carries the expression that produces it, so tests can see where a setting comes from.
/// </summary>
internal sealed record ArmUnknown(string Text)
{
    public override string ToString() => "⟪" + Text + "⟫";
}

/// <summary>One resource a deployment would create (conditions applied, loops expanded, <c>existing</c> left out).</summary>
internal sealed record ArmResource(string Type, string Name, IReadOnlyDictionary<string, object?> Body, JsonElement Raw, ArmDeployment Deployment)
{
    /// <summary>
    /// The resource id the evaluator gives this resource: in the subscription and group its deployment targets, placeholders
    /// for the deployment's own.
    /// </summary>
    public string Id => ArmDeployment.BuildResourceId(Deployment.SubscriptionId, Deployment.ResourceGroupName, Type, Name.Split('/'));

    public IReadOnlyDictionary<string, object?> Properties => ArmValue.Object(Body.GetValueOrDefault("properties"), $"{Type} {Name}: properties");

    /// <summary>The last segment of the name (a child resource's own name).</summary>
    public string ShortName => Name[(Name.LastIndexOf('/') + 1)..];
}

/// <summary>The template called <c>fail()</c>: Resource Manager would refuse the deployment with this message.</summary>
internal sealed class ArmTemplateFailure(string message) : InvalidOperationException(message);

/// <summary>Helpers for the values the evaluator produces: string, bool, long, null, lists, objects, <see cref="ArmUnknown"/>.</summary>
internal static class ArmValue
{
    public static IReadOnlyDictionary<string, object?> Object(object? value, string what) =>
        value as Dictionary<string, object?> ?? throw new InvalidOperationException($"{what} is not an object: {Render(value)}");

    public static IReadOnlyList<object?> Array(object? value, string what) =>
        value as List<object?> ?? throw new InvalidOperationException($"{what} is not an array: {Render(value)}");

    /// <summary>Follows a dotted path through objects; null when a step is missing or null.</summary>
    public static object? Path(object? value, string path)
    {
        foreach (var step in path.Split('.'))
        {
            if (value is not Dictionary<string, object?> obj || !obj.TryGetValue(step, out value))
            {
                return null;
            }
        }
        return value;
    }

    /// <summary>The string form ARM's format() and concat() would produce; unknowns become ⟪expression⟫.</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "True" : "False",
        long n => n.ToString(CultureInfo.InvariantCulture),
        ArmUnknown u => u.ToString(),
        _ => Render(value),
    };

    /// <summary>JSON-like text of any value, for failure messages and for searching a whole resource.</summary>
    public static string Render(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();

        static void Write(StringBuilder sb, object? value)
        {
            switch (value)
            {
                case Dictionary<string, object?> obj:
                    sb.Append('{');
                    var first = true;
                    foreach (var (key, item) in obj)
                    {
                        sb.Append(first ? "" : ", ").Append(JsonSerializer.Serialize(key)).Append(": ");
                        Write(sb, item);
                        first = false;
                    }
                    sb.Append('}');
                    break;
                case List<object?> list:
                    sb.Append('[');
                    for (var i = 0; i < list.Count; i++)
                    {
                        sb.Append(i == 0 ? "" : ", ");
                        Write(sb, list[i]);
                    }
                    sb.Append(']');
                    break;
                case null:
                    sb.Append("null");
                    break;
                case bool or long:
                    sb.Append(Text(value).ToLowerInvariant());
                    break;
                default:
                    sb.Append(JsonSerializer.Serialize(Text(value)));
                    break;
            }
        }
    }

    /// <summary>Converts a parameter value written in C# (string, bool, int, arrays, dictionaries) to the evaluator's form.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null or string or bool or long or ArmUnknown => value,
        int i => (long)i,
        IDictionary<string, object?> dict => dict.ToDictionary(kv => kv.Key, kv => FromClr(kv.Value), StringComparer.OrdinalIgnoreCase),
        IDictionary<string, string> dict => dict.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.OrdinalIgnoreCase),
        System.Collections.IEnumerable items => items.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"Unsupported parameter value type {value.GetType()}"),
    };

    public static object? FromJson(JsonElement el) => el.ValueKind switch
    {
        JsonValueKind.Object => el.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.OrdinalIgnoreCase),
        JsonValueKind.Array => el.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => el.GetString(),
        JsonValueKind.Number => el.GetInt64(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (ArmUnknown, _) or (_, ArmUnknown) => throw new InvalidOperationException($"Cannot compare a deployment-time value: {Render(a)} vs {Render(b)}"),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Same(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var other) && Same(kv.Value, other)),
        _ => Equals(a, b),
    };
}

/// <summary>
/// Evaluates a compiled ARM template (what <c>bicep build</c> writes) for given parameter values, the way
/// Azure Resource Manager would before deploying: conditions, loops, variables, lambdas and nested
/// deployments (Bicep modules) are worked out; anything only known at deployment time (reference(),
/// uniqueString(), subscription()) becomes an <see cref="ArmUnknown"/> naming its source. It knows the
/// functions Bicep emits for infra/; anything else throws, so an unsupported construct fails a test loudly
/// instead of being skipped.
/// </summary>
internal sealed class ArmDeployment
{
    private readonly Dictionary<string, object?> _parameters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, object?> _variables = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _variablesInProgress = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ArmDeployment> _modules = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string? Symbol, JsonElement Raw)> _rawResources = [];
    private List<ArmResource>? _resources;
    private Dictionary<string, object?>? _outputs;

    private ArmDeployment(string path, JsonElement template, IReadOnlyDictionary<string, object?> supplied,
        string? subscriptionId = null, string? resourceGroupName = null)
    {
        Path = path;
        Template = template;
        SubscriptionId = subscriptionId;
        ResourceGroupName = resourceGroupName;
        if (template.TryGetProperty("resources", out var resources))
        {
            if (resources.ValueKind == JsonValueKind.Array)
            {
                _rawResources.AddRange(resources.EnumerateArray().Select(r => ((string?)null, r)));
            }
            else
            {
                _rawResources.AddRange(resources.EnumerateObject().Select(p => ((string?)p.Name, p.Value)));
            }
        }

        var declared = template.TryGetProperty("parameters", out var ps) ? ps.EnumerateObject().ToList() : [];
        foreach (var name in supplied.Keys)
        {
            if (!declared.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new InvalidOperationException($"{path}: parameter '{name}' is not declared");
            }
        }
        foreach (var p in declared)
        {
            object? value;
            if (supplied.TryGetValue(p.Name, out var given))
            {
                value = given;
            }
            else if (p.Value.TryGetProperty("defaultValue", out var def))
            {
                value = EvalJson(def, Scope.Root);
            }
            else if (p.Value.TryGetProperty("nullable", out var nullable) && nullable.GetBoolean())
            {
                value = null;
            }
            else
            {
                throw new InvalidOperationException($"{path}: required parameter '{p.Name}' has no value");
            }
            if (p.Value.TryGetProperty("allowedValues", out var allowed) && value is not ArmUnknown
                && !allowed.EnumerateArray().Any(a => ArmValue.Same(ArmValue.FromJson(a), value)))
            {
                throw new InvalidOperationException($"{path}: parameter '{p.Name}' = {ArmValue.Render(value)} is not an allowed value");
            }
            _parameters[p.Name] = value;
        }
    }

    /// <summary>"main", then "main/{module deployment name}" for each nested deployment.</summary>
    public string Path { get; }

    public JsonElement Template { get; }

    /// <summary>
    /// The subscription this deployment targets when a module names one (<c>scope: resourceGroup(sub, group)</c>); null
    /// for the one the top-level deployment runs in, which resource ids write as <c>{subscription}</c>.
    /// </summary>
    public string? SubscriptionId { get; }

    /// <summary>The resource group this deployment targets when a module names one; null (<c>{resourceGroup}</c>) for the top-level one's.</summary>
    public string? ResourceGroupName { get; }

    public IReadOnlyDictionary<string, object?> Parameters => _parameters;

    /// <summary>Resources of this template itself (nested deployments included as resources of their own type).</summary>
    public IReadOnlyList<ArmResource> Resources => _resources ??= BuildResources();

    public IReadOnlyList<ArmDeployment> Modules
    {
        get
        {
            _ = Resources;
            return [.. _modules.Values];
        }
    }

    public IReadOnlyDictionary<string, object?> Outputs => _outputs ??= BuildOutputs();

    public static ArmDeployment Evaluate(JsonElement template, IReadOnlyDictionary<string, object?> parameters) =>
        new("main", template, parameters.ToDictionary(kv => kv.Key, kv => ArmValue.FromClr(kv.Value), StringComparer.OrdinalIgnoreCase));

    /// <summary>This deployment and every nested one, depth first.</summary>
    public IEnumerable<ArmDeployment> AllDeployments() => Modules.SelectMany(m => m.AllDeployments()).Prepend(this);

    /// <summary>Every resource in this deployment and the nested ones, nested deployments themselves left out.</summary>
    public IEnumerable<ArmResource> AllResources() =>
        AllDeployments().SelectMany(d => d.Resources).Where(r => !r.Type.Equals("Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase));

    public static string BuildResourceId(string? subscription, string? resourceGroup, string type, IReadOnlyList<string> names)
    {
        var sb = new StringBuilder("/subscriptions/").Append(subscription ?? "{subscription}");
        if (resourceGroup is not "")
        {
            sb.Append("/resourceGroups/").Append(resourceGroup ?? "{resourceGroup}");
        }
        var segments = type.Split('/');
        if (segments.Length - 1 != names.Count)
        {
            throw new InvalidOperationException($"resourceId: type {type} needs {segments.Length - 1} names, got {names.Count}");
        }
        sb.Append("/providers/").Append(segments[0]);
        for (var i = 1; i < segments.Length; i++)
        {
            sb.Append('/').Append(segments[i]).Append('/').Append(names[i - 1]);
        }
        return sb.ToString();
    }

    private List<ArmResource> BuildResources()
    {
        var list = new List<ArmResource>();
        foreach (var (symbol, raw) in _rawResources)
        {
            if (raw.TryGetProperty("existing", out var existing) && existing.GetBoolean())
            {
                continue;
            }
            foreach (var scope in Instances(raw))
            {
                if (raw.TryGetProperty("condition", out var condition) && !AsBool(EvalJson(condition, scope), "condition"))
                {
                    continue;
                }
                var type = raw.GetProperty("type").GetString()!;
                var name = ArmValue.Text(EvalJson(raw.GetProperty("name"), scope));
                var body = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                if (IsDeployment(raw))
                {
                    _ = Module(symbol, raw, scope);
                    body["type"] = type;
                    body["name"] = name;
                }
                else
                {
                    foreach (var p in raw.EnumerateObject())
                    {
                        if (p.Name is not ("copy" or "condition" or "dependsOn" or "existing"))
                        {
                            body[p.Name] = EvalJson(p.Value, scope);
                        }
                    }
                }
                list.Add(new ArmResource(type, name, body, raw, this));
            }
        }
        return list;
    }

    private IEnumerable<Scope> Instances(JsonElement raw)
    {
        if (!raw.TryGetProperty("copy", out var copy))
        {
            return [Scope.Root];
        }
        var count = EvalJson(copy.GetProperty("count"), Scope.Root) as long?
            ?? throw new InvalidOperationException($"{Path}: copy count is not a number");
        return Enumerable.Range(0, (int)count).Select(i => Scope.Root with { CopyIndex = i }).ToList();
    }

    private static bool IsDeployment(JsonElement raw) =>
        raw.GetProperty("type").GetString()!.Equals("Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase)
        && raw.TryGetProperty("properties", out var props) && props.TryGetProperty("template", out _);

    private ArmDeployment Module(string? symbol, JsonElement raw, Scope scope)
    {
        var name = ArmValue.Text(EvalJson(raw.GetProperty("name"), scope));
        var key = (symbol ?? name) + "#" + scope.CopyIndex;
        if (_modules.TryGetValue(key, out var module))
        {
            return module;
        }
        var props = raw.GetProperty("properties");
        if (!props.TryGetProperty("expressionEvaluationOptions", out var options)
            || options.GetProperty("scope").GetString() != "inner")
        {
            throw new InvalidOperationException($"{Path}: nested deployment {name} does not use inner expression scope");
        }
        var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (props.TryGetProperty("parameters", out var ps))
        {
            foreach (var p in ps.EnumerateObject())
            {
                parameters[p.Name] = p.Value.TryGetProperty("value", out var v)
                    ? EvalJson(v, scope)
                    : throw new InvalidOperationException($"{Path}: module parameter {p.Name} is not a plain value");
            }
        }
        // A module with a scope of its own (scope: resourceGroup(sub, group)) carries it as subscriptionId and
        // resourceGroup; without them it deploys where this deployment does.
        var subscriptionId = raw.TryGetProperty("subscriptionId", out var sub) ? ArmValue.Text(EvalJson(sub, scope)) : SubscriptionId;
        var resourceGroupName = raw.TryGetProperty("resourceGroup", out var group) ? ArmValue.Text(EvalJson(group, scope)) : ResourceGroupName;
        module = new ArmDeployment(Path + "/" + name, props.GetProperty("template"), parameters, subscriptionId, resourceGroupName);
        _modules[key] = module;
        return module;
    }

    private Dictionary<string, object?> BuildOutputs()
    {
        var outputs = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (Template.TryGetProperty("outputs", out var os))
        {
            foreach (var o in os.EnumerateObject())
            {
                outputs[o.Name] = EvalJson(o.Value.GetProperty("value"), Scope.Root);
            }
        }
        return outputs;
    }

    private sealed record Scope(IReadOnlyDictionary<string, object?> Lambdas, int? CopyIndex)
    {
        public static readonly Scope Root = new(new Dictionary<string, object?>(), null);
    }

    private object? EvalJson(JsonElement el, Scope scope)
    {
        switch (el.ValueKind)
        {
            case JsonValueKind.String:
                var s = el.GetString()!;
                if (s.StartsWith("[[", StringComparison.Ordinal))
                {
                    return s[1..];
                }
                return s.StartsWith('[') && s.EndsWith(']') ? Eval(ArmExpr.Parse(s[1..^1]), scope) : s;
            case JsonValueKind.Object:
                var obj = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var p in el.EnumerateObject())
                {
                    var key = p.Name.StartsWith('[') && !p.Name.StartsWith("[[", StringComparison.Ordinal) && p.Name.EndsWith(']')
                        ? ArmValue.Text(Eval(ArmExpr.Parse(p.Name[1..^1]), scope))
                        : p.Name;
                    obj[key] = EvalJson(p.Value, scope);
                }
                return obj;
            case JsonValueKind.Array:
                return el.EnumerateArray().Select(e => EvalJson(e, scope)).ToList();
            default:
                return ArmValue.FromJson(el);
        }
    }

    private object? Eval(ArmExpr expr, Scope scope)
    {
        switch (expr)
        {
            case ArmLiteral literal:
                return literal.Value;
            case ArmMember member:
                return Member(Eval(member.Target, scope), member.Name);
            case ArmIndex index:
                var target = Eval(index.Target, scope);
                var at = Eval(index.Index, scope);
                return (target, at) switch
                {
                    (ArmUnknown u, _) => new ArmUnknown($"{u.Text}[{ArmValue.Text(at)}]"),
                    (List<object?> list, long i) => list[(int)i],
                    (Dictionary<string, object?>, string name) => Member(target, name),
                    _ => throw new InvalidOperationException($"Cannot index {ArmValue.Render(target)} with {ArmValue.Render(at)}"),
                };
            case ArmCall call:
                return Call(call, scope);
            default:
                throw new InvalidOperationException("Unknown expression node");
        }
    }

    private static object? Member(object? target, string name) => target switch
    {
        ArmUnknown u => new ArmUnknown($"{u.Text}.{name}"),
        Dictionary<string, object?> obj => obj.TryGetValue(name, out var v)
            ? v
            : throw new InvalidOperationException($"Property '{name}' does not exist on {ArmValue.Render(target)}"),
        _ => throw new InvalidOperationException($"Cannot read '{name}' of {ArmValue.Render(target)}"),
    };

    private object? Call(ArmCall call, Scope scope)
    {
        var name = call.Name.ToLowerInvariant();
        // Lazy or binding forms first: their arguments must not all be evaluated up front.
        switch (name)
        {
            case "if":
                return AsBool(Eval(call.Args[0], scope), "if condition") ? Eval(call.Args[1], scope) : Eval(call.Args[2], scope);
            case "map":
            case "filter":
                var source = ArmValue.Array(Eval(call.Args[0], scope), name);
                var (names, body) = Lambda(call.Args[1]);
                var results = source.Select((item, i) =>
                {
                    var bound = new Dictionary<string, object?>(scope.Lambdas.ToDictionary(), StringComparer.Ordinal) { [names[0]] = item };
                    if (names.Count > 1)
                    {
                        bound[names[1]] = (long)i;
                    }
                    return (item, result: Eval(body, scope with { Lambdas = bound }));
                }).ToList();
                return name == "map"
                    ? results.Select(r => r.result).ToList()
                    : results.Where(r => AsBool(r.result, "filter predicate")).Select(r => r.item).ToList();
            case "lambdavariables":
                var variable = (string)Eval(call.Args[0], scope)!;
                return scope.Lambdas.TryGetValue(variable, out var bv) ? bv : throw new InvalidOperationException($"Unbound lambda variable {variable}");
            case "copyindex":
                var offset = call.Args.Count > 0 && Eval(call.Args[^1], scope) is long o ? o : 0;
                return scope.CopyIndex is { } ci ? ci + offset : throw new InvalidOperationException("copyIndex() outside a loop");
        }

        var args = call.Args.Select(a => Eval(a, scope)).ToList();
        switch (name)
        {
            case "parameters":
                return _parameters.TryGetValue((string)args[0]!, out var pv) ? pv : throw new InvalidOperationException($"{Path}: no parameter {args[0]}");
            case "variables":
                return Variable((string)args[0]!);
            case "createobject":
                var created = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < args.Count; i += 2)
                {
                    created[ArmValue.Text(args[i])] = args[i + 1];
                }
                return created;
            case "createarray":
                return args;
            case "concat":
                return args.Count > 0 && args[0] is List<object?>
                    ? args.SelectMany(a => ArmValue.Array(a, "concat argument")).ToList()
                    : string.Concat(args.Select(ArmValue.Text));
            case "format":
                return string.Format(CultureInfo.InvariantCulture, (string)args[0]!, [.. args.Skip(1).Select(ArmValue.Text)]);
            case "union":
                return Union(args);
            case "join":
                return string.Join(ArmValue.Text(args[1]), ArmValue.Array(args[0], "join").Select(ArmValue.Text));
            case "flatten":
                return ArmValue.Array(args[0], "flatten").SelectMany(a => ArmValue.Array(a, "flatten item")).ToList();
            case "items":
                return ArmValue.Object(args[0], "items")
                    .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
                    .Select(kv => (object?)new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["key"] = kv.Key, ["value"] = kv.Value })
                    .ToList();
            case "trygetvalue":
            case "tryget":
                var current = args[0];
                foreach (var step in args.Skip(1))
                {
                    current = current is Dictionary<string, object?> d && step is string key ? d.GetValueOrDefault(key)
                        : current is List<object?> l && step is long n && n < l.Count ? l[(int)n]
                        : current is ArmUnknown u ? new ArmUnknown($"{u.Text}.{ArmValue.Text(step)}")
                        : null;
                }
                return current;
            case "coalesce":
                return args.FirstOrDefault(a => a is not null);
            case "equals":
                return ArmValue.Same(args[0], args[1]);
            case "not":
                return !AsBool(args[0], "not");
            case "and":
                return args.All(a => AsBool(a, "and"));
            case "or":
                return args.Any(a => AsBool(a, "or"));
            case "greater":
                return Compare(args) > 0;
            case "greaterorequals":
                return Compare(args) >= 0;
            case "less":
                return Compare(args) < 0;
            case "lessorequals":
                return Compare(args) <= 0;
            case "empty":
                return args[0] switch
                {
                    null => true,
                    string s => s.Length == 0,
                    List<object?> l => l.Count == 0,
                    Dictionary<string, object?> d => d.Count == 0,
                    _ => throw new InvalidOperationException($"empty() of {ArmValue.Render(args[0])}"),
                };
            case "length":
                return args[0] switch
                {
                    string s => (long)s.Length,
                    List<object?> l => (long)l.Count,
                    Dictionary<string, object?> d => (long)d.Count,
                    _ => throw new InvalidOperationException($"length() of {ArmValue.Render(args[0])}"),
                };
            case "contains":
                return args[0] switch
                {
                    string s => s.Contains(ArmValue.Text(args[1]), StringComparison.OrdinalIgnoreCase),
                    List<object?> l => l.Any(i => ArmValue.Same(i, args[1])),
                    Dictionary<string, object?> d => d.ContainsKey(ArmValue.Text(args[1])),
                    _ => throw new InvalidOperationException($"contains() on {ArmValue.Render(args[0])}"),
                };
            case "split":
                return ArmValue.Text(args[0]).Split(ArmValue.Text(args[1])).Select(part => (object?)part).ToList();
            case "skip":
                return args[0] is string text
                    ? text[(int)Math.Min((long)args[1]!, text.Length)..]
                    : ArmValue.Array(args[0], "skip").Skip((int)(long)args[1]!).ToList();
            case "trim":
                return ArmValue.Text(args[0]).Trim();
            case "fail":
                throw new ArmTemplateFailure(ArmValue.Text(args[0]));
            case "indexof":
                return args[0] switch
                {
                    string haystack => (long)haystack.IndexOf(ArmValue.Text(args[1]), StringComparison.OrdinalIgnoreCase),
                    List<object?> list => (long)list.FindIndex(item => ArmValue.Same(item, args[1])),
                    _ => throw new InvalidOperationException($"indexOf() on {ArmValue.Render(args[0])}"),
                };
            case "tolower":
                return ArmValue.Text(args[0]).ToLowerInvariant();
            case "toupper":
                return ArmValue.Text(args[0]).ToUpperInvariant();
            case "string":
                return args[0] is Dictionary<string, object?> or List<object?> ? ArmValue.Render(args[0]) : ArmValue.Text(args[0]);
            case "true":
                return true;
            case "false":
                return false;
            case "null":
                return null;
            case "resourceid":
                return ResourceId(args, subscriptionScope: false);
            case "subscriptionresourceid":
                return ResourceId(args, subscriptionScope: true);
            case "reference":
                return Reference(args[0], scope);
            case "subscription":
            case "resourcegroup":
            case "tenant":
            case "environment":
            case "deployment":
            case "uniquestring":
            case "guid":
                return new ArmUnknown($"{name}({string.Join(", ", args.Select(ArmValue.Text))})");
        }
        if (name.StartsWith("list", StringComparison.Ordinal))
        {
            return new ArmUnknown($"{call.Name}({string.Join(", ", args.Select(ArmValue.Text))})");
        }
        throw new NotSupportedException($"{Path}: the test evaluator does not know the ARM function {call.Name}()");
    }

    private static (IReadOnlyList<string> Names, ArmExpr Body) Lambda(ArmExpr expr) =>
        expr is ArmCall { Name: var n } lambda && n.Equals("lambda", StringComparison.OrdinalIgnoreCase)
            ? ([.. lambda.Args.SkipLast(1).Select(a => (string)((ArmLiteral)a).Value!)], lambda.Args[^1])
            : throw new InvalidOperationException("lambda() expected");

    private static object Union(List<object?> args)
    {
        if (args[0] is List<object?>)
        {
            var merged = new List<object?>();
            foreach (var item in args.SelectMany(a => ArmValue.Array(a, "union")))
            {
                if (!merged.Any(m => ArmValue.Same(m, item)))
                {
                    merged.Add(item);
                }
            }
            return merged;
        }
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in args)
        {
            foreach (var (key, value) in ArmValue.Object(arg, "union"))
            {
                result[key] = result.GetValueOrDefault(key) is Dictionary<string, object?> left && value is Dictionary<string, object?>
                    ? Union([left, value])
                    : value;
            }
        }
        return result;
    }

    private static int Compare(List<object?> args) => (args[0], args[1]) switch
    {
        (long a, long b) => a.CompareTo(b),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ => throw new InvalidOperationException($"Cannot compare {ArmValue.Render(args[0])} and {ArmValue.Render(args[1])}"),
    };

    private static bool AsBool(object? value, string what) =>
        value as bool? ?? throw new InvalidOperationException($"{what} is not a known boolean: {ArmValue.Render(value)}");

    private string ResourceId(List<object?> args, bool subscriptionScope)
    {
        var strings = args.Select(ArmValue.Text).ToList();
        var typeAt = strings.FindIndex(s => s.Contains('/') && s.Split('/')[0].Contains('.'));
        if (typeAt < 0)
        {
            throw new InvalidOperationException($"resourceId without a type: {string.Join(", ", strings)}");
        }
        var before = strings.Take(typeAt).ToList();
        var subscription = (subscriptionScope ? before.ElementAtOrDefault(0) : before.Count == 2 ? before[0] : null) ?? SubscriptionId;
        var group = subscriptionScope ? "" : before.Count switch { 1 => before[0], 2 => before[1], _ => ResourceGroupName };
        return BuildResourceId(subscription, group, strings[typeAt], strings.Skip(typeAt + 1).ToList());
    }

    private object? Reference(object? target, Scope scope)
    {
        var text = ArmValue.Text(target);
        var match = _rawResources.FirstOrDefault(r => r.Symbol == text);
        if (match.Symbol is not null)
        {
            return IsDeployment(match.Raw)
                ? ModuleOutputs(Module(match.Symbol, match.Raw, scope))
                : new ArmUnknown($"reference({BuildResourceId(SubscriptionId, ResourceGroupName, match.Raw.GetProperty("type").GetString()!, ArmValue.Text(EvalJson(match.Raw.GetProperty("name"), scope)).Split('/'))})");
        }
        const string Deployments = "/providers/Microsoft.Resources/deployments/";
        var at = text.IndexOf(Deployments, StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            var name = text[(at + Deployments.Length)..];
            foreach (var (symbol, raw) in _rawResources.Where(r => IsDeployment(r.Raw)))
            {
                if (ArmValue.Text(EvalJson(raw.GetProperty("name"), Scope.Root)) == name)
                {
                    return ModuleOutputs(Module(symbol, raw, Scope.Root));
                }
            }
            throw new InvalidOperationException($"{Path}: reference to unknown deployment {name}");
        }
        return new ArmUnknown($"reference({text})");
    }

    private static Dictionary<string, object?> ModuleOutputs(ArmDeployment module) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["outputs"] = module.Outputs.ToDictionary(
            kv => kv.Key,
            kv => (object?)new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["value"] = kv.Value },
            StringComparer.OrdinalIgnoreCase),
    };

    private object? Variable(string name)
    {
        if (_variables.TryGetValue(name, out var value))
        {
            return value;
        }
        if (!Template.TryGetProperty("variables", out var vars) || !vars.TryGetProperty(name, out var raw))
        {
            throw new InvalidOperationException($"{Path}: no variable {name}");
        }
        if (!_variablesInProgress.Add(name))
        {
            throw new InvalidOperationException($"{Path}: variable {name} refers to itself");
        }
        value = EvalJson(raw, Scope.Root);
        _variables[name] = value;
        return value;
    }
}
