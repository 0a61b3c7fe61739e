using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Admin;

namespace Tollgate.Functions;

/// <summary>
/// The admin API for billing: rollups and statements of a key or an owner, prices, and running the billing job now
/// (<c>POST /manage/billing/aggregate</c>; the timer runs it on its schedule). One call into Core each.
/// </summary>
public sealed class BillingAdminFunctions(BillingAdminHandlers handler)
{
    [Function("KeyRollups")]
    public IActionResult KeyRollups([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/keys/{id}/rollups")] HttpRequest request, string id) =>
        new HandlerResult(handler.KeyRollupsAsync, ("id", id));

    [Function("KeyStatement")]
    public IActionResult KeyStatement([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/keys/{id}/statement")] HttpRequest request, string id) =>
        new HandlerResult(handler.KeyStatementAsync, ("id", id));

    [Function("OwnerRollups")]
    public IActionResult OwnerRollups([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/owners/{owner}/rollups")] HttpRequest request, string owner) =>
        new HandlerResult(handler.OwnerRollupsAsync, ("owner", owner));

    [Function("OwnerStatement")]
    public IActionResult OwnerStatement([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/owners/{owner}/statement")] HttpRequest request, string owner) =>
        new HandlerResult(handler.OwnerStatementAsync, ("owner", owner));

    [Function("ListPrices")]
    public IActionResult ListPrices([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/prices")] HttpRequest request) =>
        new HandlerResult(handler.ListPricesAsync);

    [Function("SetPrice")]
    public IActionResult SetPrice([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "manage/prices")] HttpRequest request) =>
        new HandlerResult(handler.SetPriceAsync);

    [Function("DeletePrice")]
    public IActionResult DeletePrice([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "manage/prices")] HttpRequest request) =>
        new HandlerResult(handler.DeletePriceAsync);

    [Function("AggregateNow")]
    public IActionResult AggregateNow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "manage/billing/aggregate")] HttpRequest request) =>
        new HandlerResult(handler.AggregateAsync);
}
