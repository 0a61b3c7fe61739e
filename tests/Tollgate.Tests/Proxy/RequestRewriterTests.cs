using System.Buffers;
using System.Text;
using Tollgate.Proxy;

namespace Tollgate.Tests.Proxy;

public sealed class RequestRewriterTests
{
    private static string Rewrite(string json, string upstreamModel = "up/model")
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(ChatRequestParser.TryParse(bytes, out var request));
        var output = new ArrayBufferWriter<byte>();
        RequestRewriter.Rewrite(bytes, request, RequestRewriter.EncodeModel(upstreamModel), output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void NonStreaming_OnlyTheModelChanges_EverythingElseByteForByte()
    {
        const string json = "{ \"top_k\" : 40, \"model\" : \"client\" ,\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\\"q\\\"\"}],\"x\":1.500e3,\"thinking\":{\"type\":\"enabled\"},\"stream\":false}";
        Assert.Equal(json.Replace("\"client\"", "\"up/model\"", StringComparison.Ordinal), Rewrite(json));
    }

    [Fact]
    public void UpstreamModel_IsJsonEscaped()
    {
        var rewritten = Rewrite("{\"model\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}", "we\"ird\\name");
        Assert.StartsWith("{\"model\":\"we\\u0022ird\\\\name\"", rewritten, StringComparison.Ordinal);
        Assert.Null(ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(rewritten), out var reparsed));
        Assert.Equal("we\"ird\\name", reparsed.Model);
    }

    [Theory]
    [InlineData("{\"model\":\"c\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
        "{\"stream_options\":{\"include_usage\":true},\"model\":\"up/model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}")]
    [InlineData("{\"model\":\"c\",\"stream\":true,\"stream_options\":null,\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
        "{\"model\":\"up/model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}")]
    [InlineData("{\"model\":\"c\",\"stream\":true,\"stream_options\":{},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
        "{\"model\":\"up/model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}")]
    [InlineData("{\"model\":\"c\",\"stream\":true,\"stream_options\":{\"include_obfuscation\":false},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
        "{\"model\":\"up/model\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}")]
    [InlineData("{\"stream_options\":{\"include_usage\":false},\"model\":\"c\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
        "{\"stream_options\":{\"include_usage\":true},\"model\":\"up/model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}")]
    [InlineData("{\"model\":\"c\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}",
        "{\"model\":\"up/model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"h\"}]}")]
    public void Streaming_ForcesIncludeUsage_WhateverTheClientSent(string json, string expected)
    {
        var rewritten = Rewrite(json);
        Assert.Equal(expected, rewritten);
        Assert.Null(ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(rewritten), out var reparsed));
        Assert.True(reparsed.ClientIncludeUsage);
    }
}
