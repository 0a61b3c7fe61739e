using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tollgate.Tests.Harness;

/// <summary>Raw HTTP calls to the admin API, as an operator's script would make them.</summary>
public sealed class AdminClient(HttpClient http, string adminKey = GatewayHost.AdminKey)
{
    public async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        if (body is not null)
        {
            request.Content = body as HttpContent ?? JsonContent.Create(body);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Sends a call that must fail with an OpenAI-style invalid-request error: its status, code and, when given, the parameter (named in the message too).</summary>
    public async Task ExpectErrorAsync(int status, string code, HttpMethod method, string path, object? body = null, string? param = null)
    {
        var (actual, error) = await SendAsync(method, path, body);
        var detail = error.GetProperty("error");
        Assert.Equal((status, code), (actual, detail.GetProperty("code").GetString()));
        Assert.Equal("invalid_request_error", detail.GetProperty("type").GetString());
        if (param is not null)
        {
            Assert.Equal(param, detail.GetProperty("param").GetString());
            Assert.Contains(param, detail.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>Creates a key; returns its id and secret.</summary>
    public async Task<(string Id, string Secret)> CreateKeyAsync(string owner, string name = "test key", string[]? models = null)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "manage/keys", new { name, owner, models });
        Assert.True(status == 201, $"create returned {status}: {body}");
        return (body.GetProperty("key").GetProperty("id").GetString()!, body.GetProperty("secret").GetString()!);
    }

    /// <summary>Every usage record of a key in the last hour, following continuation tokens.</summary>
    public async Task<List<JsonElement>> UsageAsync(string keyId)
    {
        var records = new List<JsonElement>();
        string? token = null;
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"));
        for (var page = 0; page < 1000; page++)
        {
            var path = $"manage/keys/{keyId}/usage?from={from}&to={to}&page_size=50" + (token is null ? "" : "&continuation_token=" + Uri.EscapeDataString(token));
            var (status, body) = await SendAsync(HttpMethod.Get, path);
            Assert.True(status == 200, $"usage returned {status}: {body}");
            records.AddRange(body.GetProperty("data").EnumerateArray());
            token = body.GetProperty("continuation_token").GetString();
            if (token is null)
            {
                break;
            }
        }
        return records;
    }

    /// <summary>Polls (bounded) until a key has at least <paramref name="count"/> usage records.</summary>
    public async Task<List<JsonElement>> WaitForUsageAsync(string keyId, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var records = await UsageAsync(keyId);
            if (records.Count >= count || DateTime.UtcNow > deadline)
            {
                return records;
            }
            await Task.Delay(200);
        }
    }
}
