using System.Text;
using Tollgate.Proxy;

namespace Tollgate.Tests.Proxy;

/// <summary>The exact status, param and message at each depth where the parser names a path.</summary>
public sealed class ChatRequestParserErrorTests
{
    private const string Head = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}";

    [Theory]
    [InlineData(Head + ",{\"role\":\"robot\",\"content\":\"x\"}]}", 422, "messages[1].role",
        "'messages[1].role' must be one of system, developer, user, assistant, tool, function.")]
    [InlineData(Head + ",{\"role\":\"user\"}]}", 400, "messages[1].content", "'messages[1].content' is required for user messages.")]
    [InlineData(Head + ",{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},5]}]}", 400, "messages[1].content[1]",
        "'messages[1].content[1]' must be an object with a 'type'.")]
    [InlineData(Head + ",{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}", 400, "messages[1].content[0].text",
        "'messages[1].content[0].text' is required for text parts.")]
    [InlineData(Head + ",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\"},{\"function\":{\"arguments\":5}}]}]}", 400,
        "messages[1].tool_calls[1].function.arguments", "'messages[1].tool_calls[1].function.arguments' must be a string.")]
    [InlineData(Head + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"ok\"}},{\"type\":\"function\",\"function\":{}}]}", 400,
        "tools[1].function.name", "'tools[1].function.name' is required.")]
    [InlineData(Head + "],\"tool_choice\":{\"type\":5}}", 422, "tool_choice.type",
        "'tool_choice' must be none, auto, required, or {\"type\":\"function\",\"function\":{\"name\":...}}.")]
    [InlineData(Head + "],\"stream_options\":{\"include_usage\":1}}", 400, "stream_options.include_usage",
        "'stream_options.include_usage' must be a boolean.")]
    [InlineData(Head + "],\"thinking\":\"{\\\"type\\\":\\\"maybe\\\"}\"}", 422, "thinking.type", "'thinking.type' must be enabled or disabled.")]
    [InlineData(Head + "],\"logit_bias\":{\"1\":\"x\"}}", 400, "logit_bias", "'logit_bias' values must be numbers.")]
    [InlineData(Head + "],\"top_k\":0}", 422, "top_k", "'top_k' must be at least 1.")]
    [InlineData(Head + "],\"n\":1.5}", 422, "n", "'n' must be an integer.")]
    [InlineData(Head + "],\"temperature\":\"hot\"}", 400, "temperature", "'temperature' must be a number.")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 400, "model", "You must provide a model parameter ('model').")]
    public void Rejection_NamesThePath(string json, int status, string param, string message) =>
        AssertError(json, status, param, message);

    /// <summary>Duplicates in checked objects are named by their path; inside unchecked values, by the bare name.</summary>
    [Theory]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"role\":\"user\",\"content\":\"x\"}]}", "messages[0].role")]
    [InlineData(Head + ",{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"a\",\"name\":\"b\"}}]}]}", "messages[1].tool_calls[0].function.name")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"type\":\"text\"}]}]}", "messages[0].content[0].type")]
    [InlineData(Head + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"name\":\"g\"}}]}", "tools[0].function.name")]
    [InlineData(Head + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\",\"name\":\"f\"}}}", "tool_choice.function.name")]
    [InlineData(Head + "],\"logit_bias\":{\"1\":1,\"1\":2}}", "logit_bias.1")]
    [InlineData(Head + "],\"metadata\":{\"a\":{\"k\":1,\"k\":2}}}", "metadata.k")]
    [InlineData(Head + "],\"thinking\":\"{\\\"type\\\":\\\"enabled\\\",\\\"type\\\":\\\"enabled\\\"}\"}", "thinking.type")]
    [InlineData(Head + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"a\":{\"b\":1,\"b\":2}}}}]}", "b")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"a\",\"url\":\"b\"}}]}]}", "url")]
    [InlineData(Head + "],\"x\":[{\"k\":1,\"k\":2}]}", "k")]
    [InlineData(Head + "],\"mo\\u0064el\":\"n\"}", "model")]
    public void DuplicateKey_NamesItsPath(string json, string param) =>
        AssertError(json, 400, param, "The property '" + param + "' appears more than once; duplicate keys are ambiguous and not accepted.");

    private static void AssertError(string json, int status, string param, string message)
    {
        var error = ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(json), out _);
        Assert.NotNull(error);
        Assert.Equal((status, param, message), (error.Status, error.Param, error.Message));
    }
}
