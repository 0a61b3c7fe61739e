using Mono.Cecil;

namespace Tollgate.Tests.Dependencies;

/// <summary>
/// The dependencies between the top-level folders (features) of an assembly, read from its compiled types with Mono.Cecil:
/// a type depends on every type it names in its signatures, attributes, fields, locals and method bodies, and what a
/// nested or compiler-generated type (a closure, an async state machine) names counts for the type that declares it.
/// Folders are the first segment of a namespace under the root namespace (under <c>Tollgate</c>,
/// <c>Tollgate.Proxy.Parsing</c> is <c>Proxy</c>); the root namespace itself is the folder <see cref="Root"/>.
/// </summary>
internal sealed class FolderGraph(string rootNamespace)
{
    public const string Root = "(root)";

    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Folders => _edges.Keys;

    /// <summary>The folders <paramref name="folder"/> depends on, each with the types that make the dependency.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> DependenciesOf(string folder) => _edges[folder];

    public static FolderGraph Read(string assemblyPath, string rootNamespace)
    {
        var graph = new FolderGraph(rootNamespace);
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        foreach (var type in module.Types)
        {
            if (graph.FolderOf(type.Namespace) is { } folder)
            {
                graph._edges.TryAdd(folder, new(StringComparer.Ordinal));
                var named = new HashSet<TypeReference>();
                Collect(type, named);
                foreach (var reference in named)
                {
                    var target = OutermostNamespace(reference);
                    if (graph.FolderOf(target) is { } other && other != folder)
                    {
                        if (!graph._edges[folder].TryGetValue(other, out var by))
                        {
                            graph._edges[folder][other] = by = new(StringComparer.Ordinal);
                        }
                        by.Add(type.Name);
                    }
                }
            }
        }
        foreach (var targets in graph._edges.Values.ToList())
        {
            foreach (var target in targets.Keys)
            {
                graph._edges.TryAdd(target, new(StringComparer.Ordinal));
            }
        }
        return graph;
    }

    /// <summary>The cycles: every strongly connected set of two or more folders (Tarjan's algorithm), each sorted.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string folder)
        {
            index[folder] = low[folder] = next++;
            stack.Push(folder);
            onStack.Add(folder);
            foreach (var target in _edges[folder].Keys)
            {
                if (!index.ContainsKey(target))
                {
                    Visit(target);
                    low[folder] = Math.Min(low[folder], low[target]);
                }
                else if (onStack.Contains(target))
                {
                    low[folder] = Math.Min(low[folder], index[target]);
                }
            }
            if (low[folder] == index[folder])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != folder);
                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    cycles.Add(component);
                }
            }
        }

        foreach (var folder in _edges.Keys.OrderBy(f => f, StringComparer.Ordinal))
        {
            if (!index.ContainsKey(folder))
            {
                Visit(folder);
            }
        }
        return cycles;
    }

    /// <summary>The folder of a namespace: <c>Root.X.Y</c> is <c>X</c>, the root namespace is <see cref="Root"/>, anything else none.</summary>
    public string? FolderOf(string ns)
    {
        if (ns == rootNamespace)
        {
            return Root;
        }
        if (!ns.StartsWith(rootNamespace + ".", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = ns[(rootNamespace.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }

    private static string OutermostNamespace(TypeReference type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }
        return type.Namespace;
    }

    private static void Collect(TypeDefinition type, HashSet<TypeReference> named)
    {
        Add(type.BaseType, named);
        foreach (var contract in type.Interfaces)
        {
            Add(contract.InterfaceType, named);
        }
        Attributes(type, named);
        foreach (var parameter in type.GenericParameters)
        {
            foreach (var constraint in parameter.Constraints)
            {
                Add(constraint.ConstraintType, named);
            }
        }
        foreach (var field in type.Fields)
        {
            Add(field.FieldType, named);
            Attributes(field, named);
        }
        foreach (var property in type.Properties)
        {
            Add(property.PropertyType, named);
            Attributes(property, named);
        }
        foreach (var @event in type.Events)
        {
            Add(@event.EventType, named);
        }
        foreach (var method in type.Methods)
        {
            Method(method, named);
        }
        foreach (var nested in type.NestedTypes)
        {
            Collect(nested, named);
        }
    }

    private static void Method(MethodDefinition method, HashSet<TypeReference> named)
    {
        Add(method.ReturnType, named);
        Attributes(method, named);
        foreach (var parameter in method.Parameters)
        {
            Add(parameter.ParameterType, named);
            Attributes(parameter, named);
        }
        foreach (var parameter in method.GenericParameters)
        {
            foreach (var constraint in parameter.Constraints)
            {
                Add(constraint.ConstraintType, named);
            }
        }
        if (!method.HasBody)
        {
            return;
        }
        foreach (var variable in method.Body.Variables)
        {
            Add(variable.VariableType, named);
        }
        foreach (var handler in method.Body.ExceptionHandlers)
        {
            Add(handler.CatchType, named);
        }
        foreach (var instruction in method.Body.Instructions)
        {
            switch (instruction.Operand)
            {
                case TypeReference operand:
                    Add(operand, named);
                    break;
                case MethodReference operand:
                    MemberOf(operand, named);
                    break;
                case FieldReference operand:
                    Add(operand.DeclaringType, named);
                    Add(operand.FieldType, named);
                    break;
                case CallSite site:
                    Add(site.ReturnType, named);
                    foreach (var parameter in site.Parameters)
                    {
                        Add(parameter.ParameterType, named);
                    }
                    break;
            }
        }
    }

    private static void MemberOf(MethodReference method, HashSet<TypeReference> named)
    {
        Add(method.DeclaringType, named);
        Add(method.ReturnType, named);
        foreach (var parameter in method.Parameters)
        {
            Add(parameter.ParameterType, named);
        }
        if (method is GenericInstanceMethod generic)
        {
            foreach (var argument in generic.GenericArguments)
            {
                Add(argument, named);
            }
        }
    }

    private static void Attributes(ICustomAttributeProvider provider, HashSet<TypeReference> named)
    {
        if (!provider.HasCustomAttributes)
        {
            return;
        }
        foreach (var attribute in provider.CustomAttributes)
        {
            Add(attribute.AttributeType, named);
            foreach (var argument in attribute.ConstructorArguments)
            {
                Add(argument.Type, named);
                if (argument.Value is TypeReference value)
                {
                    Add(value, named);
                }
            }
        }
    }

    private static void Add(TypeReference? type, HashSet<TypeReference> named)
    {
        switch (type)
        {
            case null:
            case GenericParameter:
                return;
            case GenericInstanceType generic:
                Add(generic.ElementType, named);
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument, named);
                }
                return;
            case FunctionPointerType pointer:
                Add(pointer.ReturnType, named);
                foreach (var parameter in pointer.Parameters)
                {
                    Add(parameter.ParameterType, named);
                }
                return;
            case TypeSpecification specification: // arrays, by-ref, pointers, modifiers
                Add(specification.ElementType, named);
                return;
            default:
                named.Add(type);
                return;
        }
    }
}
