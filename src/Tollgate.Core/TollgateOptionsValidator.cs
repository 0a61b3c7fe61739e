using Microsoft.Extensions.Options;

namespace Tollgate;

/// <summary>Fails start-up on a configuration Tollgate cannot serve with, naming the setting's path.</summary>
internal sealed class TollgateOptionsValidator : IValidateOptions<TollgateOptions>, IValidateOptions<Storage.StorageOptions>, IValidateOptions<Usage.TokenizerOptions>,
    IValidateOptions<Usage.UsageLedgerOptions>, IValidateOptions<Admin.AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, TollgateOptions options)
    {
        var failures = new List<string>();
        const string S = TollgateOptions.Section;
        if (options.MaxRequestBodyBytes is < 1024 or > 256L * 1024 * 1024)
        {
            failures.Add($"{S}:MaxRequestBodyBytes must be between 1024 and 268435456.");
        }
        if (options.OversizedBodyDrainBytes < 0)
        {
            failures.Add($"{S}:OversizedBodyDrainBytes must not be negative.");
        }
        if (options.OversizedBodyDrainTimeout < TimeSpan.Zero)
        {
            failures.Add($"{S}:OversizedBodyDrainTimeout must not be negative.");
        }
        if (options.MaxUpstreamResponseBytes < 1024)
        {
            failures.Add($"{S}:MaxUpstreamResponseBytes must be at least 1024.");
        }
        if (options.MaxSseEventBytes < 1024)
        {
            failures.Add($"{S}:MaxSseEventBytes must be at least 1024.");
        }
        foreach (var (property, value) in new[]
                 {
                     ("RequestBodyTimeout", options.RequestBodyTimeout), ("UpstreamConnectTimeout", options.UpstreamConnectTimeout),
                     ("UpstreamResponseTimeout", options.UpstreamResponseTimeout), ("StreamIdleTimeout", options.StreamIdleTimeout),
                     ("StreamHeartbeatInterval", options.StreamHeartbeatInterval),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{S}:{property} must be positive.");
            }
        }

        foreach (var (upstreamName, upstream) in options.Upstreams)
        {
            var path = $"{S}:Upstreams:{upstreamName}";
            if (!Uri.TryCreate(upstream.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{path}:BaseUrl must be an absolute http(s) URL.");
            }
            else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                failures.Add($"{path}:BaseUrl must not have a query or fragment.");
            }
            if (upstream.Azure is { } azure)
            {
                failures.AddRange(Routing.AzureOpenAi.Validate(path, upstream, azure));
            }
            if (upstream.AuthStyle != Routing.UpstreamAuthStyle.None && string.IsNullOrEmpty(upstream.Secret) && upstream.Azure is not { AuthMode: Routing.AzureOpenAiAuthMode.Entra })
            {
                failures.Add($"{path}:Secret is required unless AuthStyle is None (or Azure:AuthMode is Entra).");
            }
            AddIfUnresolved(failures, $"{path}:Secret", upstream.Secret);
            failures.AddRange(upstream.Adapt.Validate($"{path}:Adapt"));
            if (upstream.ModelMapProblem is { } mapProblem)
            {
                failures.Add($"{path}:{mapProblem}");
            }
            if (upstream.Models.Count == 0)
            {
                failures.Add($"{path}:Models (or ModelMap) must list at least one model.");
            }
        }

        var names = new HashSet<string>(options.Upstreams.Values.SelectMany(u => u.Models.Keys), StringComparer.Ordinal);
        foreach (var (model, route) in options.Routes)
        {
            var path = $"{S}:Routes:{model}";
            names.Add(model);
            if (route.Deployments.Count == 0)
            {
                failures.Add($"{path}:Deployments must list at least one deployment.");
            }
            for (var i = 0; i < route.Deployments.Count; i++)
            {
                var deployment = route.Deployments[i];
                if (!options.Upstreams.ContainsKey(deployment.Upstream))
                {
                    failures.Add($"{path}:Deployments:{i}:Upstream '{deployment.Upstream}' is not one of Tollgate:Upstreams.");
                }
                if (deployment.Weight is < 1 or > 1000 || deployment.Priority is < 0 or > 100)
                {
                    failures.Add($"{path}:Deployments:{i}: Weight must be 1 to 1000 and Priority 0 to 100.");
                }
            }
        }
        foreach (var (model, route) in options.Routes)
        {
            foreach (var alias in route.Aliases)
            {
                if (string.IsNullOrWhiteSpace(alias) || !names.Add(alias))
                {
                    failures.Add($"{S}:Routes:{model}:Aliases: '{alias}' is empty or already a model or alias.");
                }
            }
        }
        AddIfUnresolved(failures, $"{S}:KeyPepper", options.KeyPepper);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var path = $"{S}:Keys:{i}";
            AddIfUnresolved(failures, $"{path}:Key", key.Key);
            AddIfUnresolved(failures, $"{path}:KeyHash", key.KeyHash);
            if (!Keys.KeyValidation.IsValidId(key.Id))
            {
                failures.Add($"{path}:Id must be 1 to 64 letters, digits, '-' or '_'.");
            }
            else if (!ids.Add(key.Id))
            {
                failures.Add($"{path}:Id '{key.Id}' is used twice.");
            }
            var hasKey = !string.IsNullOrEmpty(key.Key);
            var hasHash = !string.IsNullOrEmpty(key.KeyHash);
            if (hasKey == hasHash)
            {
                failures.Add($"{path} needs exactly one of Key or KeyHash.");
            }
            else if (hasHash && !Keys.KeyHash.TryParseHex(key.KeyHash!, out _))
            {
                failures.Add($"{path}:KeyHash must be 64 hex digits (SHA-256).");
            }
            else if (hasKey && (key.Key!.Length > Keys.KeyHash.MaxKeyLength || key.Key.Any(char.IsWhiteSpace)))
            {
                failures.Add($"{path}:Key must be at most {Keys.KeyHash.MaxKeyLength} characters without spaces.");
            }
            if (key.Owner is not null && !Keys.KeyValidation.IsValidOwner(key.Owner))
            {
                failures.Add($"{path}:Owner must be {Keys.KeyValidation.OwnerRule}.");
            }
            foreach (var model in key.Models.Where(m => !names.Contains(m)))
            {
                failures.Add($"{path}:Models: '{model}' is not a model any upstream or route serves (nor an alias).");
            }
            if (key.RequestsPerMinute is <= 0 or > Keys.ApiKey.MaxPerMinute || key.TokensPerMinute is <= 0 or > Keys.ApiKey.MaxPerMinute
                || key.MonthlyBudgetUsd is < 0 or > Keys.Budget.MaxLimit)
            {
                failures.Add($"{path}: RequestsPerMinute and TokensPerMinute must be from 1 to 10^12, MonthlyBudgetUsd from 0 to 10^15.");
            }
            if (key.Budget is { } budget)
            {
                if (key.MonthlyBudgetUsd is not null)
                {
                    failures.Add($"{path} sets both Budget and MonthlyBudgetUsd; keep Budget (MonthlyBudgetUsd is its legacy shorthand).");
                }
                if (budget.Problem() is { } problem)
                {
                    failures.Add($"{path}:Budget: {problem}");
                }
                else if (!budget.IsSet)
                {
                    failures.Add($"{path}:Budget needs Amount, Tokens or both.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, Storage.StorageOptions options)
    {
        if (options.TablePrefix.Length is 0 or > 40 || !options.TablePrefix.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(options.TablePrefix[0]))
        {
            return ValidateOptionsResult.Fail($"{Storage.StorageOptions.Section}:TablePrefix must be 1 to 40 letters and digits, starting with a letter.");
        }
        if (IsUnresolvedReference(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(UnresolvedMessage($"{Storage.StorageOptions.Section}:ConnectionString"));
        }
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                // The SDK parses it (no network call); its message is not echoed, as it may quote the string.
                Storage.TableStorage.CreateServiceClient(options);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                return ValidateOptionsResult.Fail($"{Storage.StorageOptions.Section}:ConnectionString is not a storage connection string " +
                    "(UseDevelopmentStorage=true, or DefaultEndpointsProtocol/AccountName/AccountKey[/TableEndpoint]); for managed identity set TableEndpoint instead.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.TableEndpoint) && !Uri.TryCreate(options.TableEndpoint, UriKind.Absolute, out _))
        {
            return ValidateOptionsResult.Fail($"{Storage.StorageOptions.Section}:TableEndpoint must be an absolute URL.");
        }
        return ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, Usage.TokenizerOptions options)
    {
        const string S = Usage.TokenizerOptions.Section;
        var known = string.Join(", ", Usage.TokenizerOptions.Encodings.Order(StringComparer.Ordinal));
        var failures = new List<string>();
        if (!Usage.TokenizerOptions.Encodings.Contains(options.Default))
        {
            failures.Add($"{S}:Default must be one of {known}.");
        }
        foreach (var (model, encoding) in options.Models)
        {
            if (!Usage.TokenizerOptions.Encodings.Contains(encoding))
            {
                failures.Add($"{S}:Models:{model} must be one of {known}.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, Usage.UsageLedgerOptions options)
    {
        const string S = Usage.UsageLedgerOptions.Section;
        var failures = new List<string>();
        if (options.BufferCapacity < 1)
        {
            failures.Add($"{S}:BufferCapacity must be at least 1.");
        }
        if (options.FlushInterval <= TimeSpan.Zero || options.MaxRetryDelay <= TimeSpan.Zero)
        {
            failures.Add($"{S}:FlushInterval and MaxRetryDelay must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, Admin.AdminOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var path = $"{Admin.AdminOptions.Section}:Keys:{i}";
            if (IsUnresolvedReference(key.Key) || IsUnresolvedReference(key.KeyHash))
            {
                failures.Add(UnresolvedMessage(IsUnresolvedReference(key.Key) ? $"{path}:Key" : $"{path}:KeyHash"));
            }
            else if (string.IsNullOrEmpty(key.Key) == string.IsNullOrEmpty(key.KeyHash))
            {
                failures.Add($"{path} needs exactly one of Key or KeyHash.");
            }
            else if (key.Key is { Length: < 24 })
            {
                failures.Add($"{path}:Key must be at least 24 characters.");
            }
            else if (key.KeyHash is { } hash && !Keys.KeyHash.TryParseHex(hash, out _))
            {
                failures.Add($"{path}:KeyHash must be 64 hex digits (SHA-256).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// App Service leaves a Key Vault reference as its own text when it cannot resolve it (the secret is missing, or the
    /// identity may not read it). Serving with that text as a secret would be wrong in a way nobody sees, so start-up
    /// fails instead, naming the setting (never its value).
    /// </summary>
    internal static bool IsUnresolvedReference(string? value) =>
        value is not null && value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    private static string UnresolvedMessage(string path) =>
        $"{path} is a Key Vault reference that was not resolved: the secret does not exist, or the app's identity lacks the Key Vault Secrets User role.";

    private static void AddIfUnresolved(List<string> failures, string path, string? value)
    {
        if (IsUnresolvedReference(value))
        {
            failures.Add(UnresolvedMessage(path));
        }
    }
}
