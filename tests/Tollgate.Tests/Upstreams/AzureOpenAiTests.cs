using Tollgate.Upstreams;

namespace Tollgate.Tests.Upstreams;

/// <summary>Azure OpenAI URLs for the v1 API and deployments, and the checks on the settings behind them.</summary>
public sealed class AzureOpenAiTests
{
    private static readonly Uri Resource = new("https://my-resource.openai.azure.com");

    [Theory]
    [InlineData("https://my-resource.openai.azure.com")]
    [InlineData("https://my-resource.openai.azure.com/")]
    [InlineData("https://my-resource.openai.azure.com/openai")]
    [InlineData("https://my-resource.openai.azure.com/openai/v1/")]
    public void V1_IsTheOpenAiV1Path_WithoutApiVersion(string endpoint)
    {
        var uri = AzureOpenAi.ChatCompletionsUri(new Uri(endpoint), AzureOpenAiApiStyle.V1, deployment: "ignored", apiVersion: null);

        Assert.Equal("https://my-resource.openai.azure.com/openai/v1/chat/completions", uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("preview")]
    [InlineData("latest")]
    public void V1_CarriesAnApiVersion_OnlyWhenOneIsSet(string version)
    {
        var uri = AzureOpenAi.ChatCompletionsUri(Resource, AzureOpenAiApiStyle.V1, null, version);

        Assert.Equal($"https://my-resource.openai.azure.com/openai/v1/chat/completions?api-version={version}", uri.AbsoluteUri);
    }

    [Fact]
    public void APathPrefix_IsKept()
    {
        var uri = AzureOpenAi.ChatCompletionsUri(new Uri("https://gateway.example.com/aoai/"), AzureOpenAiApiStyle.V1, null, null);

        Assert.Equal("https://gateway.example.com/aoai/openai/v1/chat/completions", uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("gpt-4o", "2024-10-21")]
    [InlineData("gpt-4.1_mini", "2025-04-01-preview")]
    public void Deployment_IsTheDeploymentPath_WithApiVersion(string deployment, string version)
    {
        var uri = AzureOpenAi.ChatCompletionsUri(Resource, AzureOpenAiApiStyle.Deployment, deployment, version);

        Assert.Equal($"https://my-resource.openai.azure.com/openai/deployments/{deployment}/chat/completions?api-version={version}", uri.AbsoluteUri);
        Assert.Equal($"/openai/deployments/{deployment}/chat/completions", uri.AbsolutePath);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("../admin")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("gpt..4")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    [InlineData("a%2Fb")]
    [InlineData("a\\b")]
    [InlineData("a b")]
    [InlineData("gpt-4o\r\n")]
    [InlineData("modèle")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("a1234567890123456789012345678901234567890123456789012345678901234")] // 65
    public void Deployment_ThatCouldChangeThePathOrIsNotAName_IsRejected(string? deployment)
    {
        var error = Assert.Throws<ArgumentException>(() => AzureOpenAi.ChatCompletionsUri(Resource, AzureOpenAiApiStyle.Deployment, deployment, "2024-10-21"));

        Assert.Equal("deployment", error.ParamName);
        Assert.NotNull(AzureOpenAi.DeploymentNameProblem(deployment));
    }

    [Fact]
    public void Deployment_OfSixtyFourCharacters_IsAccepted()
    {
        Assert.Null(AzureOpenAi.DeploymentNameProblem(new string('a', AzureOpenAi.MaxDeploymentNameLength)));
        Assert.NotNull(AzureOpenAi.DeploymentNameProblem(new string('a', AzureOpenAi.MaxDeploymentNameLength + 1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("preview")]
    [InlineData("2024-13-01")]
    [InlineData("2024-02-30")]
    [InlineData("2024-1-01")]
    [InlineData("2024/10/21")]
    [InlineData("2024-10-21-beta")]
    [InlineData("2024-10-21-preview-2")]
    [InlineData("2024-10-21&x=1")]
    public void Deployment_WithoutADatedApiVersion_IsRejected(string? version)
    {
        var error = Assert.Throws<ArgumentException>(() => AzureOpenAi.ChatCompletionsUri(Resource, AzureOpenAiApiStyle.Deployment, "gpt-4o", version));

        Assert.Equal("apiVersion", error.ParamName);
        Assert.Contains("ApiVersion", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2024-10-21")]
    [InlineData("v1")]
    public void V1_WithADatedOrUnknownApiVersion_IsRejected(string version) =>
        Assert.Contains("ApiVersion", AzureOpenAi.ApiVersionProblem(AzureOpenAiApiStyle.V1, version), StringComparison.Ordinal);

    [Theory]
    [InlineData("http://my-resource.openai.azure.com")]
    [InlineData("https://my-resource.openai.azure.com/?x=1")]
    [InlineData("https://user:pass@my-resource.openai.azure.com")]
    public void Endpoint_NotPlainHttps_IsRejected(string endpoint) =>
        Assert.Throws<ArgumentException>(() => AzureOpenAi.ChatCompletionsUri(new Uri(endpoint), AzureOpenAiApiStyle.V1, null, null));

    [Fact]
    public void Endpoint_OnLoopback_MayBePlainHttp() =>
        Assert.Equal("http://127.0.0.1:5080/openai/v1/chat/completions",
            AzureOpenAi.ChatCompletionsUri(new Uri("http://127.0.0.1:5080"), AzureOpenAiApiStyle.V1, null, null).AbsoluteUri);

    [Fact]
    public void DeploymentFor_IsTheFixedDeployment_OrTheUpstreamModel()
    {
        Assert.Equal("gpt-4o-prod", new AzureOpenAiOptions { Deployment = "gpt-4o-prod" }.DeploymentFor("gpt-4o"));
        Assert.Equal("gpt-4o", new AzureOpenAiOptions().DeploymentFor("gpt-4o"));
    }

    private const string Path = "Tollgate:Upstreams:az";

    private static UpstreamOptions Upstream(string? secret = null, params string[] deployments)
    {
        var upstream = new UpstreamOptions { BaseUrl = "https://my-resource.openai.azure.com", AuthStyle = UpstreamAuthStyle.ApiKey, Secret = secret };
        foreach (var deployment in deployments.DefaultIfEmpty("gpt-4o"))
        {
            upstream.Models["m-" + deployment] = deployment;
        }
        return upstream;
    }

    [Fact]
    public void Validate_AcceptsWorkingSettings()
    {
        Assert.Empty(AzureOpenAi.Validate(Path, Upstream("key"), new AzureOpenAiOptions()));
        Assert.Empty(AzureOpenAi.Validate(Path, Upstream(), new AzureOpenAiOptions
        {
            AuthMode = AzureOpenAiAuthMode.Entra,
            ManagedIdentityClientId = "0b7c6e0e-8d47-4a57-b1d0-3d1a4f1f5e21",
            ApiStyle = AzureOpenAiApiStyle.Deployment,
            ApiVersion = "2024-10-21",
        }));
    }

    [Theory]
    [InlineData("key", AzureOpenAiAuthMode.Entra, null, null, AzureOpenAiApiStyle.V1, null, null, "Tollgate:Upstreams:az:Secret")]
    [InlineData(null, AzureOpenAiAuthMode.ApiKey, null, null, AzureOpenAiApiStyle.V1, null, null, "Tollgate:Upstreams:az:Secret")]
    [InlineData("key", AzureOpenAiAuthMode.ApiKey, "0b7c6e0e-8d47-4a57-b1d0-3d1a4f1f5e21", null, AzureOpenAiApiStyle.V1, null, null, "Tollgate:Upstreams:az:Azure:ManagedIdentityClientId")]
    [InlineData(null, AzureOpenAiAuthMode.Entra, "my-identity", null, AzureOpenAiApiStyle.V1, null, null, "Tollgate:Upstreams:az:Azure:ManagedIdentityClientId")]
    [InlineData(null, AzureOpenAiAuthMode.Entra, null, "https://cognitiveservices.azure.com", AzureOpenAiApiStyle.V1, null, null, "Tollgate:Upstreams:az:Azure:TokenScope")]
    [InlineData("key", AzureOpenAiAuthMode.ApiKey, null, null, AzureOpenAiApiStyle.Deployment, null, null, "Tollgate:Upstreams:az:Azure:ApiVersion")]
    [InlineData("key", AzureOpenAiAuthMode.ApiKey, null, null, AzureOpenAiApiStyle.V1, "2024-10-21", null, "Tollgate:Upstreams:az:Azure:ApiVersion")]
    [InlineData("key", AzureOpenAiAuthMode.ApiKey, null, null, AzureOpenAiApiStyle.V1, null, "gpt-4o", "Tollgate:Upstreams:az:Azure:Deployment")]
    [InlineData("key", AzureOpenAiAuthMode.ApiKey, null, null, AzureOpenAiApiStyle.Deployment, "2024-10-21", "../x", "Tollgate:Upstreams:az:Azure:Deployment")]
    public void Validate_NamesTheSettingAtFault(string? secret, AzureOpenAiAuthMode mode, string? clientId, string? scope, AzureOpenAiApiStyle style,
        string? version, string? deployment, string setting)
    {
        var azure = new AzureOpenAiOptions
        {
            AuthMode = mode, ManagedIdentityClientId = clientId, TokenScope = scope, ApiStyle = style, ApiVersion = version, Deployment = deployment,
        };

        var problem = Assert.Single(AzureOpenAi.Validate(Path, Upstream(secret), azure));

        Assert.StartsWith(setting, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InDeploymentStyle_ChecksEachModelsDeploymentName()
    {
        var azure = new AzureOpenAiOptions { ApiStyle = AzureOpenAiApiStyle.Deployment, ApiVersion = "2024-10-21" };

        var problem = Assert.Single(AzureOpenAi.Validate(Path, Upstream("key", "gpt-4o", "team/gpt"), azure));

        Assert.StartsWith("Tollgate:Upstreams:az:Models:m-team/gpt", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsAnEndpointThatIsNotHttps()
    {
        var upstream = Upstream("key");
        upstream.BaseUrl = "http://my-resource.openai.azure.com";

        Assert.StartsWith("Tollgate:Upstreams:az:BaseUrl", Assert.Single(AzureOpenAi.Validate(Path, upstream, new AzureOpenAiOptions())), StringComparison.Ordinal);
    }
}
