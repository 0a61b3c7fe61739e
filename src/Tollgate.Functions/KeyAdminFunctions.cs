using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Admin;

namespace Tollgate.Functions;

/// <summary>The admin API for client keys, under <c>/manage/keys</c>: one call into Core each, the route's id passed on.</summary>
public sealed class KeyAdminFunctions(KeyAdminHandlers handler)
{
    [Function("CreateKey")]
    public IActionResult CreateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "manage/keys")] HttpRequest request) =>
        new HandlerResult(handler.CreateKeyAsync);

    [Function("ListKeys")]
    public IActionResult ListKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/keys")] HttpRequest request) =>
        new HandlerResult(handler.ListKeysAsync);

    [Function("GetKey")]
    public IActionResult GetKey([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/keys/{id}")] HttpRequest request, string id) =>
        new HandlerResult(handler.GetKeyAsync, ("id", id));

    [Function("UpdateKey")]
    public IActionResult UpdateKey([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "manage/keys/{id}")] HttpRequest request, string id) =>
        new HandlerResult(handler.UpdateKeyAsync, ("id", id));

    [Function("DisableKey")]
    public IActionResult DisableKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "manage/keys/{id}/disable")] HttpRequest request, string id) =>
        new HandlerResult(handler.DisableKeyAsync, ("id", id));

    [Function("EnableKey")]
    public IActionResult EnableKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "manage/keys/{id}/enable")] HttpRequest request, string id) =>
        new HandlerResult(handler.EnableKeyAsync, ("id", id));

    [Function("RevokeKey")]
    public IActionResult RevokeKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "manage/keys/{id}/revoke")] HttpRequest request, string id) =>
        new HandlerResult(handler.RevokeKeyAsync, ("id", id));

    [Function("KeyUsage")]
    public IActionResult KeyUsage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/keys/{id}/usage")] HttpRequest request, string id) =>
        new HandlerResult(handler.KeyUsageAsync, ("id", id));
}
