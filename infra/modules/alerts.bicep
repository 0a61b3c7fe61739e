// Alert rules for the signals in docs/operations.md ("What to alert on"), as log search alerts on the Log Analytics
// workspace that Application Insights writes to. The Functions app sends Tollgate's meter through OpenTelemetry
// (AppMetrics: Name, Sum, ItemCount, Properties) and its logs with their EventId (AppTraces: Properties.EventId).
// Failure rates count Tollgate's own outcomes: a client that disconnects is ClientAborted and is left out, as are
// requests Tollgate refused for the client's own reasons (Rejected); the Functions host's failed invocations
// (AppRequests), which include client cancellations, are not used.

@description('Azure region.')
param location string

@description('Tags for every resource (azd-env-name).')
param tags object

@description('Resource id of the Log Analytics workspace the rules query.')
param workspaceId string

@description('Resource id of an action group to notify; empty: the rules fire in Azure Monitor without notifying anyone.')
param actionGroupId string

@description('Prefix of the rules\' names.')
param namePrefix string

// Log EventIds that mean storage or a background loop is failing (first of a streak; see docs/operations.md).
var storageEventIds = '3000, 3002, 3003, 3004, 4002, 4101, 4102, 5001, 5002, 5004'

var rules = [
  {
    name: 'upstream-failure-rate'
    description: 'More than 5 % of chat requests failed upstream or in the gateway over 15 minutes (client disconnects and refused requests left out).'
    severity: 1
    windowSize: 'PT15M'
    query: 'AppMetrics | where Name == "tollgate.requests" | extend outcome = tostring(Properties["outcome"]) | summarize total = sum(Sum), failed = sumif(Sum, outcome !in ("Completed", "ClientAborted", "Rejected")) | where total >= 20 and failed > 0.05 * total'
  }
  {
    name: 'storage-failing'
    description: 'A ledger write, aggregation, rollup, price or budget read, or quota exchange is failing (first log line of a streak).'
    severity: 1
    windowSize: 'PT5M'
    query: 'AppTraces | where toint(Properties["EventId"]) in (${storageEventIds})'
  }
  {
    name: 'metering-refusals'
    description: 'Requests refused because usage could not be metered (503 metering_unavailable) or keys could not be read.'
    severity: 1
    windowSize: 'PT5M'
    // Refused before a usage record exists: the ledger backlogged (1002), the key store unreachable (1001 with 503);
    // after one: a budget or rate-limit account unreachable (a Rejected request answered 503).
    query: 'union (AppTraces | where toint(Properties["EventId"]) == 1002 or (toint(Properties["EventId"]) == 1001 and toint(Properties["Status"]) == 503)), (AppMetrics | where Name == "tollgate.requests" and toint(Properties["http.response.status_code"]) == 503 and tostring(Properties["outcome"]) == "Rejected")'
  }
  {
    name: 'gateway-fault'
    description: 'A fault inside the gateway (EventId 1900): a defect to report.'
    severity: 1
    windowSize: 'PT5M'
    query: 'AppTraces | where toint(Properties["EventId"]) == 1900'
  }
  {
    name: 'unpriced-served'
    description: 'A model without a price is being served (AllowUnpriced): its cost is not billed.'
    severity: 2
    windowSize: 'PT15M'
    query: 'AppMetrics | where Name == "tollgate.unpriced_requests" | summarize served = sum(Sum) | where served > 0'
  }
  {
    name: 'budgets-refusing'
    description: 'Hard budgets are refusing requests (402).'
    severity: 3
    windowSize: 'PT15M'
    query: 'AppMetrics | where Name == "tollgate.budget.exceeded" and tostring(Properties["tollgate.budget.action"]) == "refused" | summarize refused = sum(Sum) | where refused > 0'
  }
  {
    name: 'slow-first-token'
    description: 'Streams wait more than 5 s on average for their first token over 15 minutes.'
    severity: 2
    windowSize: 'PT15M'
    query: 'AppMetrics | where Name == "gen_ai.server.time_to_first_token" | summarize seconds = sum(Sum) / sum(ItemCount), streams = sum(ItemCount) | where streams >= 10 and seconds > 5'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [for rule in rules: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${namePrefix}-${rule.name}'
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: rule.windowSize
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(actionGroupId) ? [] : [
        actionGroupId
      ]
    }
  }
}]
