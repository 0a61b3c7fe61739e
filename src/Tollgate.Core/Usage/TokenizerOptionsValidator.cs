using Microsoft.Extensions.Options;

namespace Tollgate.Usage;

/// <summary>Fails start-up on a tokenizer encoding Tollgate does not have, naming the setting's path.</summary>
internal sealed class TokenizerOptionsValidator : IValidateOptions<TokenizerOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenizerOptions options)
    {
        const string S = TokenizerOptions.Section;
        var known = string.Join(", ", TokenizerOptions.Encodings.Order(StringComparer.Ordinal));
        var failures = new List<string>();
        if (!TokenizerOptions.Encodings.Contains(options.Default))
        {
            failures.Add($"{S}:Default must be one of {known}.");
        }
        foreach (var (model, encoding) in options.Models)
        {
            if (!TokenizerOptions.Encodings.Contains(encoding))
            {
                failures.Add($"{S}:Models:{model} must be one of {known}.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
