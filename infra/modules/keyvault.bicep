// Key Vault for the secrets Tollgate reads through Key Vault references: the upstream keys
// (upstream-{name}, set by the operator after deployment) and the admin key hash. Access is by Azure
// RBAC only (no access policies): the app's identity may read secrets, the deployer may manage them.

@description('Azure region.')
param location string

@description('Tags for every resource (azd-env-name).')
param tags object

@description('Name of the vault: 3-24 letters, digits and dashes, starting with a letter, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Name of the secret that holds the admin key hash.')
param adminKeyHashSecretName string

@description('Lower-case hex SHA-256 of the admin key. Empty: the secret is not created.')
@secure()
param adminKeyHash string

@description('Principal (object) id of the app\'s user-assigned identity: gets Key Vault Secrets User.')
param appPrincipalId string

@description('Object id of the deployer: gets Key Vault Secrets Officer. Empty: no assignment.')
param deployerPrincipalId string

@description('Kind of principal deployerPrincipalId names (User, ServicePrincipal or Group).')
param deployerPrincipalType string

// Built-in roles: Key Vault Secrets User (read secret values) and Key Vault Secrets Officer (manage secrets).
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource adminKeyHashSecret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (!empty(adminKeyHash)) {
  parent: vault
  name: adminKeyHashSecretName
  properties: {
    value: adminKeyHash
    contentType: 'SHA-256 (lower-case hex) of a Tollgate admin key'
  }
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

@description('Name of the vault.')
output name string = vault.name
