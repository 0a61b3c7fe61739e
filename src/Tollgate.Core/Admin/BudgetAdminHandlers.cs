using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Errors;
using Tollgate.Billing;
using Tollgate.Keys;
using Tollgate.Quota;

namespace Tollgate.Admin;

/// <summary>
/// The admin API for owner budgets, the budget all keys of an owner share: read one or all of those in force, set
/// (store) one, remove a stored one. Amounts are in the billing currency (<c>Tollgate:Billing:Currency</c>). Reads
/// first re-read the stored budgets, so they show what any instance stored; configuration's budgets are listed
/// but only stored ones can be changed here (a stored budget replaces configuration's for that owner).
/// </summary>
/// <param name="stored">The owner budgets table, which setting and removing need; null without storage.</param>
/// <param name="reader">Reads budget accounts (spent, held) for the list.</param>
/// <param name="keys">The keys table, to find key budgets; null without storage.</param>
public sealed partial class BudgetAdminHandlers(AdminAuthenticator authenticator, OwnerBudgets budgets, OwnerBudgetStore? stored, ILogger<BudgetAdminHandlers> logger,
    BudgetReader reader, TableKeyAdministrator? keys)
{
    /// <summary>At most this many key budgets are described in one list (the keys table is read page by page up to it).</summary>
    public const int MaxKeyBudgets = 1000;

    /// <summary>
    /// <c>GET /manage/budgets</c>: every owner budget in force, and the current window of every owner and key budget
    /// (up to <see cref="MaxKeyBudgets"/> keys) with spent, held and left.
    /// </summary>
    public Task ListAsync(HttpContext context) => AdminPipeline.RunAsync(context, authenticator, async ct =>
    {
        await budgets.RefreshAsync(ct).ConfigureAwait(false);
        var inForce = InForce().ToList();
        var data = inForce.Select(b => OwnerBudgetResponse.From(b.Owner, b.Budget, b.Stored)).ToList();
        var accounts = new List<BudgetAccountResponse>();
        foreach (var (owner, budget, _) in inForce)
        {
            var current = await reader.DescribeAsync(BudgetScope.Owner, owner, budget, ct).ConfigureAwait(false);
            accounts.Add(new BudgetAccountResponse("owner", owner, owner, KeyUsageHandler.DescribeBudget(BudgetScope.Owner, budget, current)));
        }
        if (keys is not null)
        {
            string? token = null;
            var described = 0;
            do
            {
                var (page, next) = await keys.ListAsync(null, 1000, token, ct).ConfigureAwait(false);
                foreach (var key in page.Where(k => k.Budget is { IsSet: true } && k.State != KeyState.Revoked))
                {
                    if (described++ >= MaxKeyBudgets)
                    {
                        break;
                    }
                    var current = await reader.DescribeAsync(BudgetScope.Key, key.Id, key.Budget!, ct).ConfigureAwait(false);
                    accounts.Add(new BudgetAccountResponse("key", key.Id, key.Owner, KeyUsageHandler.DescribeBudget(BudgetScope.Key, key.Budget!, current)));
                }
                token = described >= MaxKeyBudgets ? null : next;
            }
            while (token is not null);
        }
        await AdminPipeline.WriteAsync(context, 200, new OwnerBudgetListResponse(data, accounts), BudgetJsonApiContext.Default.OwnerBudgetListResponse).ConfigureAwait(false);
        return null;
    });

    /// <summary><c>GET /manage/owners/{owner}/budget</c>: the owner's budget in force, or 404.</summary>
    public Task GetAsync(HttpContext context) => AdminPipeline.RunAsync(context, authenticator, async ct =>
    {
        var owner = AdminRequest.RouteOwner(context);
        await budgets.RefreshAsync(ct).ConfigureAwait(false);
        if (Find(owner) is not { } found)
        {
            return AdminErrors.OwnerBudgetNotFound(inConfiguration: false);
        }
        await AdminPipeline.WriteAsync(context, 200, OwnerBudgetResponse.From(owner, found.Budget, found.Stored),
            BudgetJsonApiContext.Default.OwnerBudgetResponse).ConfigureAwait(false);
        return null;
    });

    /// <summary><c>PUT /manage/owners/{owner}/budget</c>: stores the owner's budget (the body is the budget object), replacing any.</summary>
    public Task SetAsync(HttpContext context) => WithStorageAsync(context, async ct =>
    {
        var owner = AdminRequest.RouteOwner(context);
        var (body, error) = await AdminRequest.ReadJsonAsync(context, BudgetJsonApiContext.Default.JsonElement, ct).ConfigureAwait(false);
        if (error is not null || !BudgetParser.TryParse(body, "", out var budget, out error))
        {
            return error;
        }
        KeyValidation.ValidateBudget(budget);
        await budgets.SetAsync(owner, budget, ct).ConfigureAwait(false);
        LogBudgetSet(logger, AdminPipeline.AdminId(context), Diagnostics.LogValue.Safe(owner), budget.ToString());
        await AdminPipeline.WriteAsync(context, 200, OwnerBudgetResponse.From(owner, budget, stored: true),
            BudgetJsonApiContext.Default.OwnerBudgetResponse).ConfigureAwait(false);
        return null;
    });

    /// <summary><c>DELETE /manage/owners/{owner}/budget</c>: removes the owner's stored budget (configuration's, if any, applies again).</summary>
    public Task DeleteAsync(HttpContext context) => WithStorageAsync(context, async ct =>
    {
        var owner = AdminRequest.RouteOwner(context);
        // Whether one is stored is read first: deleting a row that is not there succeeds in Table Storage.
        await budgets.RefreshAsync(ct).ConfigureAwait(false);
        if (!budgets.All().Any(b => b.Stored && b.Owner == owner) || !await budgets.DeleteAsync(owner, ct).ConfigureAwait(false))
        {
            return AdminErrors.OwnerBudgetNotFound(inConfiguration: Find(owner) is not null);
        }
        LogBudgetRemoved(logger, AdminPipeline.AdminId(context), Diagnostics.LogValue.Safe(owner));
        context.Response.StatusCode = 204;
        return null;
    });

    /// <summary>The budgets in force: those that limit something.</summary>
    private IEnumerable<(string Owner, Budget Budget, bool Stored)> InForce() => budgets.All().Where(b => b.Budget.IsSet);

    private (string Owner, Budget Budget, bool Stored)? Find(string owner) =>
        InForce().Where(b => b.Owner == owner).Select(b => ((string Owner, Budget Budget, bool Stored)?)b).FirstOrDefault();

    /// <summary>Stored owner budgets live in Table Storage.</summary>
    private Task WithStorageAsync(HttpContext context, Func<CancellationToken, Task<ApiError?>> action) =>
        AdminPipeline.RunAsync(context, authenticator, ct => stored is null
            ? Task.FromResult<ApiError?>(AdminErrors.StorageNotConfigured)
            : action(ct));

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Admin {AdminId} set the budget of owner {Owner} to {Budget}")]
    private static partial void LogBudgetSet(ILogger logger, string adminId, string owner, string budget);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Admin {AdminId} removed the stored budget of owner {Owner}")]
    private static partial void LogBudgetRemoved(ILogger logger, string adminId, string owner);
}
