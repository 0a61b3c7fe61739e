using System.Text;
using System.Text.Json;

namespace Tollgate.Tests.Harness;

public static class JsonAssert
{
    public static StringContent Body(string json, string contentType = "application/json") => new(json, Encoding.UTF8, contentType);

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>Asserts an OpenAI-shaped error body and returns its <c>error</c> object.</summary>
    public static JsonElement AssertError(string body, string? expectedCode = null, string? expectedParam = null)
    {
        var root = Parse(body);
        Assert.True(root.TryGetProperty("error", out var error), "no error object in: " + body);
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out var code));
        if (expectedCode is not null)
        {
            Assert.Equal(expectedCode, code.GetString());
        }
        if (expectedParam is not null)
        {
            Assert.Equal(expectedParam, error.GetProperty("param").GetString());
        }
        return error;
    }
}
