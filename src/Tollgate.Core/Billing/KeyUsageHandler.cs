using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Quota;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>
/// <c>GET /v1/usage</c> (and <c>/api/v1/usage</c>) with the client key itself: what that key has used and spent this
/// month, as rolled up so far. A key sees only its own usage.
/// </summary>
/// <param name="rollups">The rolled-up usage; null without storage (the answer is then 503 <c>usage_unavailable</c>).</param>
public sealed class KeyUsageHandler(ApiKeyAuthenticator authenticator, IOptions<PricingOptions> options, RollupStore? rollups, BudgetReader reader, TimeProvider time)
{
    private static readonly ApiError Unavailable =
        new(503, "server_error", "usage_unavailable", "Usage is kept in Table Storage, which this gateway is not configured with.");

    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (auth.Key is not { } key)
        {
            await ApiErrorWriter.WriteAsync(context.Response, auth.Error!).ConfigureAwait(false);
            return;
        }
        if (rollups is not { } store)
        {
            await ApiErrorWriter.WriteAsync(context.Response, Unavailable).ConfigureAwait(false);
            return;
        }

        var month = BillingPeriod.Of(PeriodKind.Month, time.GetUtcNow());
        Rollup? rollup;
        DateTimeOffset? asOf;
        var budgets = new List<BudgetUsageResponse>(2);
        try
        {
            rollup = await store.GetAsync(RollupScope.Key, key.Id, month, context.RequestAborted).ConfigureAwait(false);
            (asOf, _) = await store.ReadWatermarkAsync(context.RequestAborted).ConfigureAwait(false);
            var (keyBudget, ownerBudget) = reader.BudgetsOf(key);
            if (keyBudget is not null)
            {
                budgets.Add(DescribeBudget(BudgetScope.Key, keyBudget, await reader.DescribeAsync(BudgetScope.Key, key.Id, keyBudget, context.RequestAborted).ConfigureAwait(false)));
            }
            if (ownerBudget is not null)
            {
                budgets.Add(DescribeBudget(BudgetScope.Owner, ownerBudget, await reader.DescribeAsync(BudgetScope.Owner, key.Owner, ownerBudget, context.RequestAborted).ConfigureAwait(false)));
            }
        }
        catch (Exception e) when (TableStorage.IsOutage(e))
        {
            await ApiErrorWriter.WriteAsync(context.Response, ApiErrors.KeyVerificationUnavailable with { Code = "usage_unavailable", Message = "Usage cannot be read right now. Try again shortly." })
                .ConfigureAwait(false);
            return;
        }

        var body = Describe(key, month, rollup ?? new Rollup { Scope = RollupScope.Key, Id = key.Id, Period = month }, options.Value.Currency, asOf, budgets);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, KeyUsageJsonContext.Default.KeyUsageResponse, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The response for a key's month; pure, so its shape is tested without a server.</summary>
    public static KeyUsageResponse Describe(ApiKey key, BillingPeriod month, Rollup rollup, string currency, DateTimeOffset? asOf, IReadOnlyList<BudgetUsageResponse> budgets)
    {
        var total = rollup.Total;
        return new KeyUsageResponse(
            "usage", key.Id, key.Owner, new UsagePeriodResponse(month.Start, month.End, month.End), currency, total.Cost, budgets,
            new LimitsResponse(key.RequestsPerMinute, key.TokensPerMinute), total.Requests, total.Errors, Tokens(total), total.UnpricedRequests,
            rollup.Models.Select(m => new ModelUsageResponse(m.Key, m.Value.Requests, m.Value.Errors, Tokens(m.Value), m.Value.Cost, m.Value.UnpricedRequests)).ToList(),
            asOf);
    }

    /// <summary>A budget's limits and its window's account, for the response; pure.</summary>
    public static BudgetUsageResponse DescribeBudget(BudgetScope scope, Budget budget, (BudgetWindow Window, AccountState Account) current)
    {
        var (window, account) = current;
        return new BudgetUsageResponse(
            Budget.Name(scope), Budget.Name(budget.Period), Budget.Name(budget.Mode),
            window.End is null ? null : window.Start, window.End, budget.Amount, budget.Tokens,
            account.Spent.Money, account.Spent.Tokens, account.Held.Money, account.Held.Tokens,
            budget.Amount is { } amount ? Math.Max(0, amount - account.Spent.Money) : null,
            budget.Tokens is { } tokens ? Math.Max(0, tokens - account.Spent.Tokens) : null);
    }

    private static TokensResponse Tokens(UsageTotals t) =>
        new(t.PromptTokens, t.CachedTokens, t.CompletionTokens, t.ReasoningTokens, t.PromptTokens + t.CompletionTokens);
}
