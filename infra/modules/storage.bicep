// The one storage account: Functions host storage (AzureWebJobsStorage), the blob container the app
// package is deployed to, and Tollgate's tables. Shared-key access is off, so every caller, the
// platform included, authenticates with Entra ID; the app's user-assigned identity gets the three data
// roles it needs and nothing at the management plane.

@description('Azure region.')
param location string

@description('Tags for every resource (azd-env-name).')
param tags object

@description('Name of the storage account: 3-24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Private blob container that holds the deployed app package.')
param deploymentContainerName string

@description('Tables to create (Tollgate\'s {prefix}keys, usage, prices, rollups, quotas, budgets).')
param tableNames string[]

@description('Principal (object) id of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Replication of the account: the usage tables have no point-in-time restore, so production wants zone or geo redundancy.')
param skuName string

// Built-in roles the Functions host and Tollgate need: blobs (host keys, timer locks, the deployment
// package), queues (host internals), tables (Tollgate's tables and host diagnostics).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var appRoles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

resource account 'Microsoft.Storage/storageAccounts@2026-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-06-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-06-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-06-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

resource appRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appRoles: {
    name: guid(account.id, appPrincipalId, roleId)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

@description('Name of the storage account.')
output name string = account.name

@description('Name of the deployment container.')
output deploymentContainerName string = deploymentContainer.name

@description('Table service endpoint, e.g. https://{account}.table.{suffix}/.')
output tableEndpoint string = account.properties.primaryEndpoints.table
