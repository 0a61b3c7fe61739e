using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Tollgate.Errors;

namespace Tollgate.Keys;

/// <summary>
/// Turns the request's credential into a key. Missing, malformed, unknown, disabled, revoked and expired
/// keys all get the same 401 so that a caller learns nothing about which it was.
/// </summary>
public sealed class ApiKeyAuthenticator(IKeyStore store, KeyHasher hasher, TimeProvider time)
{
    private static readonly string[] QueryKeyNames = ["api-key", "api_key", "apikey", "key", "access_token", "token"];

    public async ValueTask<AuthenticationResult> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.QueryString.HasValue)
        {
            foreach (var name in QueryKeyNames)
            {
                if (request.Query.ContainsKey(name))
                {
                    return new AuthenticationResult(null, ApiErrors.KeyInQueryString);
                }
            }
        }

        if (!TryGetPresentedKey(request.Headers, out var token))
        {
            return new AuthenticationResult(null, ApiErrors.InvalidApiKey);
        }

        ApiKey? key;
        try
        {
            key = await store.FindAsync(hasher.Compute(token), cancellationToken).ConfigureAwait(false);
        }
        catch (KeyStoreUnavailableException)
        {
            return new AuthenticationResult(null, ApiErrors.KeyVerificationUnavailable);
        }
        return key is not null && key.IsUsableAt(time.GetUtcNow())
            ? new AuthenticationResult(key, null)
            : new AuthenticationResult(null, ApiErrors.InvalidApiKey);
    }

    /// <summary>Reads <c>Authorization: Bearer …</c>, or <c>api-key</c> as Azure OpenAI clients send it.</summary>
    internal static bool TryGetPresentedKey(IHeaderDictionary headers, out ReadOnlySpan<char> token)
    {
        token = default;
        ReadOnlySpan<char> candidate;
        StringValues authorization = headers.Authorization;
        if (authorization.Count == 1)
        {
            var value = authorization[0].AsSpan().Trim();
            if (value.Length < 8 || !value[..7].Equals("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            candidate = value[7..].Trim();
        }
        else if (authorization.Count == 0 && headers.TryGetValue("api-key", out var apiKey) && apiKey.Count == 1)
        {
            candidate = apiKey[0].AsSpan().Trim();
        }
        else
        {
            return false;
        }

        if (candidate.IsEmpty || candidate.Length > KeyHash.MaxKeyLength || candidate.ContainsAny(' ', '\t'))
        {
            return false;
        }
        token = candidate;
        return true;
    }
}
