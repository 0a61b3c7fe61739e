namespace Tollgate.Diagnostics;

/// <summary>
/// Names from OpenTelemetry's semantic conventions for generative AI, v1.41.0 (status: Development): the chat span's
/// attributes and the client metrics, with the conventions' bucket boundaries.
/// </summary>
public static class GenAiConventions
{
    public const string Version = "1.41.0";

    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string TokenType = "gen_ai.token.type";
    public const string ErrorType = "error.type";

    /// <summary>The operation Tollgate performs: OpenAI's chat completions.</summary>
    public const string Chat = "chat";

    public const string TokenUsageMetric = "gen_ai.client.token.usage";
    public const string OperationDurationMetric = "gen_ai.client.operation.duration";
    public const string TimeToFirstTokenMetric = "gen_ai.server.time_to_first_token";

    public static readonly double[] TokenUsageBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    public static readonly double[] TimeToFirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    /// <summary>
    /// The provider an upstream's base URL names, as the conventions spell it (<c>openai</c>, <c>azure.ai.openai</c>,
    /// <c>groq</c>, <c>mistral_ai</c>, <c>deepseek</c>, <c>x_ai</c>, <c>gcp.gemini</c>, <c>perplexity</c>), or <c>_OTHER</c>.
    /// </summary>
    public static string ProviderOf(Uri? baseUrl, bool azure)
    {
        if (azure)
        {
            return "azure.ai.openai";
        }
        var host = baseUrl?.Host ?? "";
        return host switch
        {
            "api.openai.com" => "openai",
            "api.groq.com" => "groq",
            "api.mistral.ai" => "mistral_ai",
            "api.deepseek.com" => "deepseek",
            "api.x.ai" => "x_ai",
            "generativelanguage.googleapis.com" => "gcp.gemini",
            "api.perplexity.ai" => "perplexity",
            _ when host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase) => "azure.ai.openai",
            _ => "_OTHER",
        };
    }
}
