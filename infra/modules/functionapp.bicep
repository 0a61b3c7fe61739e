// The function app (.NET 10 isolated worker, Linux) and its plan.
//
// hostingPlan 'FlexConsumption' (default)
//   Plan FC1. The platform pulls the app package from a private blob container as the user-assigned
//   identity (functionAppConfig.deployment), so no storage key exists anywhere. Runtime and scale are
//   set in functionAppConfig; the app settings Flex rejects or ignores (FUNCTIONS_WORKER_RUNTIME,
//   FUNCTIONS_EXTENSION_VERSION, WEBSITE_CONTENT*, WEBSITE_RUN_FROM_PACKAGE, ...) and siteConfig
//   properties it does not support (ftpsState, linuxFxVersion, alwaysOn, ...) are left out. `azd deploy`
//   uploads the package.
//
// hostingPlan 'ElasticPremium' (EP1..EP3): limits of this variant
//   Premium apps normally keep their code and file system on an Azure Files share
//   (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING). Azure Files accepts only an account key there, and the
//   storage account refuses shared keys, so this variant runs WITHOUT a content share:
//   - No WEBSITE_CONTENTAZUREFILECONNECTIONSTRING / WEBSITE_CONTENTSHARE. The app runs from a package
//     URL instead: WEBSITE_RUN_FROM_PACKAGE = {blob endpoint}{deployment container}/{package blob},
//     read as the user-assigned identity (WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID).
//   - Deploying is manual: zip the publish output of src/Tollgate.Functions, upload it to that blob
//     (az storage blob upload --auth-mode login; the uploader needs Storage Blob Data Contributor on
//     the account, which this template does not grant), then restart the app so it loads the new
//     package and syncs its triggers. `azd deploy` (zip deploy through Kudu) is not the path here.
//   - No shared, persistent file system: nothing written under /home survives or is shared between
//     instances; portal editing and file-based log streaming are unavailable (use Application Insights).
//   - The plan bills for at least elasticPremiumMinimumInstanceCount instances at all times.
//   Prefer FlexConsumption unless you need Premium-only features (VNet-bound always-on workers, longer
//   warm instances, larger SKUs).
//
// Both variants: HTTPS only, TLS 1.2 minimum (site and SCM), FTP and SCM basic-auth publishing off,
// Key Vault references resolved as the user-assigned identity, AzureWebJobsStorage reached by identity
// (service URIs + credential + client id), Application Insights with Entra ID auth.

@description('Azure region.')
param location string

@description('Tags for every resource (azd-env-name); the site also gets azd-service-name.')
param tags object

@description('azd service name (the key under services in azure.yaml); tagged as azd-service-name on the site so azd deploy finds it.')
param serviceName string

@description('Name of the function app (globally unique host name).')
param name string

@description('Name of the App Service plan.')
param planName string

@description('FlexConsumption or ElasticPremium.')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string

@description('Name of the user-assigned identity the app runs as (same resource group).')
param identityName string

@description('Name of the storage account for host storage and the deployment container (same resource group).')
param storageAccountName string

@description('Blob container the app package is deployed to.')
param deploymentContainerName string

@description('Name of the Application Insights component (same resource group).')
param appInsightsName string

@description('Flex Consumption: most instances.')
param maximumInstanceCount int

@description('Flex Consumption: instance memory in MB (512, 2048 or 4096).')
param instanceMemoryMB int

@description('Flex Consumption: concurrent HTTP requests per instance.')
param perInstanceConcurrency int

@description('Flex Consumption: always-ready instances for the HTTP functions (0: none).')
param alwaysReadyInstanceCount int

@description('Elastic Premium: plan SKU (EP1, EP2 or EP3).')
param elasticPremiumSku string

@description('Elastic Premium: most workers.')
param elasticPremiumMaximumWorkerCount int

@description('Elastic Premium: instances always running.')
param elasticPremiumMinimumInstanceCount int

@description('Elastic Premium: blob name of the app package in the deployment container.')
param elasticPremiumPackageBlobName string

@description('App settings of the application itself (name/value pairs; secrets only as Key Vault references).')
param appSettings array

var isFlex = hostingPlan == 'FlexConsumption'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var deploymentContainerUrl = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'

// Host storage by identity: no AzureWebJobsStorage connection string.
var hostSettings = [
  { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
  { name: 'AzureWebJobsStorage__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
  { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identity.properties.clientId}' }
  // DefaultAzureCredential in the worker picks this identity.
  { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
]

// Elastic Premium only (Flex sets runtime and package through functionAppConfig and rejects these).
var elasticPremiumSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
  { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '${deploymentContainerUrl}/${elasticPremiumPackageBlobName}' }
  { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: identity.id }
]

var allSettings = concat(hostSettings, isFlex ? [] : elasticPremiumSettings, appSettings)

var flexSiteConfig = {
  minTlsVersion: '1.2'
  scmMinTlsVersion: '1.2'
  http20Enabled: true
  appSettings: allSettings
}

var elasticPremiumSiteConfig = {
  linuxFxVersion: 'DOTNET-ISOLATED|10.0'
  minTlsVersion: '1.2'
  scmMinTlsVersion: '1.2'
  ftpsState: 'Disabled'
  http20Enabled: true
  minimumElasticInstanceCount: elasticPremiumMinimumInstanceCount
  appSettings: allSettings
}

var flexAppConfig = {
  deployment: {
    storage: {
      type: 'blobContainer'
      value: deploymentContainerUrl
      authentication: {
        type: 'UserAssignedIdentity'
        userAssignedIdentityResourceId: identity.id
      }
    }
  }
  runtime: {
    name: 'dotnet-isolated'
    version: '10.0'
  }
  scaleAndConcurrency: {
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReady: alwaysReadyInstanceCount > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstanceCount }] : []
    triggers: {
      http: {
        perInstanceConcurrency: perInstanceConcurrency
      }
    }
  }
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex
    ? {
        name: 'FC1'
        tier: 'FlexConsumption'
      }
    : {
        name: elasticPremiumSku
        tier: 'ElasticPremium'
      }
  properties: {
    reserved: true
    maximumElasticWorkerCount: isFlex ? null : elasticPremiumMaximumWorkerCount
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identity.id
    siteConfig: isFlex ? flexSiteConfig : elasticPremiumSiteConfig
    functionAppConfig: isFlex ? flexAppConfig : null
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Name of the function app.')
output name string = site.name

@description('Default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName
