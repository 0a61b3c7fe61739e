using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Proxy;

namespace Tollgate.Functions;

/// <summary><c>POST /v1/chat/completions</c> and <c>/api/v1/chat/completions</c>: one call into Core each.</summary>
public sealed class ChatCompletionsFunction(ChatCompletionsHandler handler)
{
    [Function("ChatCompletions")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/chat/completions")] HttpRequest request) =>
        new HandlerResult(handler.HandleAsync);

    [Function("ChatCompletionsApiV1")]
    public IActionResult RunApiV1([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/chat/completions")] HttpRequest request) =>
        new HandlerResult(handler.HandleAsync);
}
