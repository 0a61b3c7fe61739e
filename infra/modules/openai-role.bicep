// Lets the app's identity call an Azure OpenAI (Cognitive Services) account with Microsoft Entra ID tokens:
// Cognitive Services OpenAI User on that one account, nothing wider. The account is not created or changed
// here; main.bicep deploys this module into the account's own resource group (and subscription), which may
// be another than Tollgate's, so the deployer needs the right to assign roles there.

@description('Name of the existing Azure OpenAI / Cognitive Services account (Microsoft.CognitiveServices/accounts) in this module\'s resource group.')
@minLength(2)
@maxLength(64)
param accountName string

@description('Principal (object) id of the app\'s user-assigned identity: gets Cognitive Services OpenAI User on the account.')
param appPrincipalId string

// Built-in role Cognitive Services OpenAI User: inference calls (chat completions and the like), no keys, no management.
var cognitiveServicesOpenAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2026-09-01' existing = {
  name: accountName
}

resource appOpenAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, cognitiveServicesOpenAiUser)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}
