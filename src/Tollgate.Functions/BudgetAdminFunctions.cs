using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Admin;

namespace Tollgate.Functions;

/// <summary>The admin API for owner budgets: one owner's (read, set, remove) and all of them. One call into Core each.</summary>
public sealed class BudgetAdminFunctions(BudgetAdminHandlers handler)
{
    [Function("GetOwnerBudget")]
    public IActionResult GetOwnerBudget([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/owners/{owner}/budget")] HttpRequest request, string owner) =>
        new HandlerResult(handler.GetAsync, ("owner", owner));

    [Function("SetOwnerBudget")]
    public IActionResult SetOwnerBudget([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "manage/owners/{owner}/budget")] HttpRequest request, string owner) =>
        new HandlerResult(handler.SetAsync, ("owner", owner));

    [Function("DeleteOwnerBudget")]
    public IActionResult DeleteOwnerBudget([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "manage/owners/{owner}/budget")] HttpRequest request, string owner) =>
        new HandlerResult(handler.DeleteAsync, ("owner", owner));

    [Function("ListBudgets")]
    public IActionResult ListBudgets([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "manage/budgets")] HttpRequest request) =>
        new HandlerResult(handler.ListAsync);
}
