using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>Checks the admin credential (Bearer). Client keys are never admin keys: they live in different stores.</summary>
public sealed class AdminAuthenticator
{
    private readonly List<(KeyHash Hash, string Id)> _keys = [];
    private readonly KeyHasher _hasher;

    public AdminAuthenticator(IOptions<AdminOptions> options, KeyHasher hasher)
    {
        _hasher = hasher;
        foreach (var key in options.Value.Keys)
        {
            if (!string.IsNullOrEmpty(key.Key))
            {
                _keys.Add((hasher.Compute(key.Key), key.Id));
            }
            else if (key.KeyHash is not null && KeyHash.TryParseHex(key.KeyHash, out var hash))
            {
                _keys.Add((hash, key.Id));
            }
        }
    }

    /// <summary>The admin's id, or null when the request does not carry a valid admin key.</summary>
    public string? Authenticate(HttpRequest request)
    {
        if (_keys.Count == 0 || !ApiKeyAuthenticator.TryGetPresentedKey(request.Headers, out var token))
        {
            return null;
        }
        var hash = _hasher.Compute(token);
        string? found = null;
        foreach (var (candidate, id) in _keys)
        {
            if (candidate.FixedTimeEquals(hash))
            {
                found = id;
            }
        }
        return found;
    }
}
