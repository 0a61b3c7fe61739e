// Tollgate on Azure Functions: one resource group holds everything the gateway needs.
//
//   azd up                                   provisions this file with infra/main.parameters.json and
//                                            deploys src/Tollgate.Functions (service 'api' in azure.yaml)
//   az deployment group create -g <rg> -f infra/main.bicep -p environmentName=<name>
//                                            provisions the same resources without azd (deploy the code
//                                            yourself afterwards, e.g. `func azure functionapp publish`)
//
// What is created: a user-assigned managed identity (the app's only identity), a storage account that
// refuses shared keys (host storage, the Flex deployment container, Tollgate's tables), a Key Vault with
// RBAC authorization, Log Analytics + Application Insights with local (key) auth off, and the function
// app on the Flex Consumption plan (or Elastic Premium, see modules/functionapp.bicep). Every data-plane
// path (storage, Key Vault references, telemetry, and Azure OpenAI upstreams with Entra ID) authenticates
// as the identity; no key or connection string with a key is created, stored or output. Outside this
// resource group only role assignments are made: on the Azure OpenAI accounts named by Entra upstreams.
//
// After the first deployment:
//   1. Upstream keys. For every entry of `upstreams` whose authStyle is not 'None' (and that is not Azure
//      OpenAI with Entra ID, below), the app setting Tollgate__Upstreams__{name}__Secret is a Key Vault
//      reference to the secret 'upstream-{name}', which this template does NOT create (keys never pass
//      through deployment parameters or history). Set it:
//        az keyvault secret set --vault-name <AZURE_KEY_VAULT_NAME> --name upstream-<name> --value <key>
//      then restart the app (az functionapp restart) so the reference is resolved again. Until then
//      Tollgate refuses to start and names the unresolved setting in its log.
//      `principalId` (azd fills it with the signed-in user) gets Key Vault Secrets Officer for this.
//      Azure OpenAI without a key: an upstream with azure.authMode 'Entra' signs in as the identity
//      (Tollgate__Upstreams__{name}__Azure__ManagedIdentityClientId is its client id) and has no Secret
//      setting, so nothing to set here. With azure.resourceId, the full id of its Microsoft.CognitiveServices
//      account, the identity gets Cognitive Services OpenAI User on that account (modules/openai-role.bicep),
//      deployed into the account's resource group, which may be in another subscription: the deployer needs
//      the right to assign roles there (Owner, User Access Administrator or Role Based Access Control
//      Administrator). Without resourceId, assign that role yourself.
//   2. Admin key. Generate a key of 24+ characters, keep it, and pass only its hash:
//        printf '%s' "$ADMIN_KEY" | sha256sum | cut -d' ' -f1
//      as adminKeyHash (with azd: azd env set TOLLGATE_ADMIN_KEY_HASH <hash>; keep it set, because a
//      later provision without it removes the admin settings). It is stored as the Key Vault secret
//      'tollgate-admin-key-hash'. Without it the admin API (/manage/...) refuses every call. The hash is a
//      plain SHA-256: it matches only while Tollgate:KeyPepper is not set.
//
// Client-facing model names are not part of any setting name: App Service on Linux turns '.' in a setting name
// into '_' (gpt-4.1 would arrive as gpt-4_1), so each upstream's models travel in one value,
// Tollgate__Upstreams__{name}__ModelMap = 'client=upstream;client2=upstream2'.
targetScope = 'resourceGroup'

metadata description = 'Tollgate (OpenAI-compatible LLM gateway) on Azure Functions: Flex Consumption or Elastic Premium, identity-only access to storage, Key Vault and Application Insights.'

@description('Azure OpenAI settings of an upstream. Become the app settings Tollgate__Upstreams__{name}__Azure__*; the upstream\'s baseUrl is then the resource endpoint, e.g. https://my-resource.openai.azure.com.')
type azureOpenAiType = {
  @description('ApiKey (default): the key in the Key Vault secret upstream-{name}, sent as the api-key header. Entra: a Microsoft Entra ID token of the app\'s user-assigned identity, no key and no secret.')
  authMode: ('ApiKey' | 'Entra')?

  @description('V1 (default): {baseUrl}/openai/v1/chat/completions, the body\'s model naming the deployment. Deployment: {baseUrl}/openai/deployments/{deployment}/chat/completions?api-version={apiVersion}.')
  apiStyle: ('V1' | 'Deployment')?

  @description('The api-version query value. Required with apiStyle Deployment: a date, yyyy-MM-dd or yyyy-MM-dd-preview (2024-10-21). With V1 leave it out, or preview or latest.')
  apiVersion: string?

  @description('apiStyle Deployment only: the one deployment serving every model of this upstream. Left out: each model\'s upstream name (the values of models) is its deployment.')
  deployment: string?

  @description('Full resource id of the account, /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/accounts/{name}, in any subscription of the tenant. With authMode Entra the identity gets Cognitive Services OpenAI User on it, so the deployer needs the right to assign roles there (Owner, User Access Administrator or Role Based Access Control Administrator). Left out: assign that role yourself. Ignored with ApiKey.')
  resourceId: string?
}

@description('An upstream provider Tollgate forwards to. Becomes the app settings Tollgate__Upstreams__{name}__*.')
type upstreamType = {
  @description('Upstream name: letters and digits only. It is part of app setting names and of the Key Vault secret name upstream-{name}.')
  @minLength(1)
  @maxLength(64)
  name: string

  @description('Scheme and host of the provider, e.g. https://api.openai.com (no query or fragment).')
  baseUrl: string

  @description('V1: {baseUrl}/v1/chat/completions; ApiV1: {baseUrl}/api/v1/chat/completions. Default V1.')
  pathStyle: ('V1' | 'ApiV1')?

  @description('Bearer (Authorization: Bearer), ApiKey (api-key header) or None (no secret). Default Bearer, or ApiKey with azure. Ignored with azure.authMode Entra, which sends a token and no key (AuthStyle None).')
  authStyle: ('Bearer' | 'ApiKey' | 'None')?

  @description('True when the provider wraps responses in {success, code, message, data}. Default false.')
  envelope: bool?

  @description('Client-facing model name to the name the provider expects, e.g. {"gpt-4o-mini": "gpt-4o-mini-2024-07-18"}. For Azure OpenAI the names the provider expects are deployment names.')
  models: {
    *: string
  }

  @description('Set for an Azure OpenAI upstream: how Tollgate signs in (key or Entra ID) and which API it calls.')
  azure: azureOpenAiType?
}

@description('Name of the azd environment (AZURE_ENV_NAME). Tagged as azd-env-name on every resource and hashed into resource names.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for every resource. Defaults to the resource group\'s region.')
@minLength(1)
@metadata({ azd: { type: 'location' } })
param location string = resourceGroup().location

@description('Object id of the deployer (azd sets AZURE_PRINCIPAL_ID to the signed-in user). Gets Key Vault Secrets Officer on the vault so it can set the upstream secrets. Empty: no assignment.')
param principalId string = ''

@description('Kind of principal principalId names: User (azd with a signed-in user), ServicePrincipal (a pipeline) or Group.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Hosting plan: FlexConsumption (default; Linux, scales to zero, identity-based deployment) or ElasticPremium (EP1-EP3; no Azure Files content share, so see the limits in modules/functionapp.bicep).')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Flex Consumption: most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption: concurrent HTTP requests one instance takes before the platform adds another. Tollgate mostly waits on upstreams (streams last seconds to minutes), so this is higher than the platform default.')
@minValue(1)
@maxValue(1000)
param perInstanceConcurrency int = 64

@description('Flex Consumption: instances kept warm for the HTTP functions (billed while idle). 0: scale to zero.')
@minValue(0)
@maxValue(1000)
param alwaysReadyInstanceCount int = 0

@description('Elastic Premium: plan size.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param elasticPremiumSku string = 'EP1'

@description('Elastic Premium: most workers the plan scales out to.')
@minValue(1)
@maxValue(100)
param elasticPremiumMaximumWorkerCount int = 20

@description('Elastic Premium: instances always running (at least 1).')
@minValue(1)
@maxValue(20)
param elasticPremiumMinimumInstanceCount int = 1

@description('Elastic Premium: blob in the deployment container that WEBSITE_RUN_FROM_PACKAGE points at; upload the zipped publish output there.')
@minLength(1)
param elasticPremiumPackageBlobName string = 'tollgate-functions.zip'

@description('Prefix of Tollgate\'s tables ({prefix}keys, usage, prices, rollups, quotas, budgets): letters and digits, starting with a letter.')
@minLength(1)
@maxLength(50)
param tablePrefix string = 'tollgate'

@description('NCRONTAB schedule of the aggregation timer (TOLLGATE_AGGREGATION_SCHEDULE): rolls usage up and releases dead instances\' budget leases.')
@minLength(1)
param aggregationSchedule string = '0 */5 * * * *'

@description('Lower-case hex SHA-256 of an admin key you generated (never the key itself). Non-empty: stored as the Key Vault secret tollgate-admin-key-hash and configured as admin key \'admin\'. Empty: no admin key, the admin API refuses every call.')
@secure()
param adminKeyHash string = ''

@description('Upstream providers. Each one\'s key is read from the Key Vault secret upstream-{name}, which you set after deployment (see the top of this file); an Azure OpenAI upstream with azure.authMode Entra signs in as the app\'s identity instead and has no secret.')
param upstreams upstreamType[] = []

@description('Days a deleted Key Vault stays recoverable (purge protection is on, so its name stays taken that long).')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Replication of the storage account that holds the usage tables (they have no point-in-time restore): Standard_ZRS or geo-redundant for production where the region offers it.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_LRS'

@description('Days Log Analytics keeps telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Resource id of an action group the alert rules notify (e-mail, SMS, webhook...); empty: the rules fire in Azure Monitor without notifying anyone.')
param alertActionGroupId string = ''

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
}
var adminKeyHashSecretName = 'tollgate-admin-key-hash'
var tableSuffixes = [
  'keys'
  'usage'
  'prices'
  'rollups'
  'quotas'
  'budgets'
]

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${resourceToken}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'tollgate-monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    retentionInDays: logRetentionInDays
    appPrincipalId: identity.properties.principalId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'tollgate-alerts'
  params: {
    location: location
    tags: tags
    workspaceId: monitoring.outputs.workspaceId
    actionGroupId: alertActionGroupId
    namePrefix: 'tollgate-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'tollgate-storage'
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: 'app-package'
    tableNames: map(tableSuffixes, suffix => '${tablePrefix}${suffix}')
    appPrincipalId: identity.properties.principalId
    skuName: storageSku
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'tollgate-keyvault'
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    adminKeyHashSecretName: adminKeyHashSecretName
    adminKeyHash: adminKeyHash
    appPrincipalId: identity.properties.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

// Tollgate's own settings (section Tollgate; '__' is the environment-variable form of ':').
var tollgateSettings = [
  { name: 'Tollgate__Storage__TableEndpoint', value: storage.outputs.tableEndpoint }
  { name: 'Tollgate__Storage__ManagedIdentityClientId', value: identity.properties.clientId }
  { name: 'Tollgate__Storage__TablePrefix', value: tablePrefix }
  { name: 'TOLLGATE_AGGREGATION_SCHEDULE', value: aggregationSchedule }
]

var adminSettings = empty(adminKeyHash)
  ? []
  : [
      { name: 'Tollgate__Admin__Keys__0__Id', value: 'admin' }
      {
        name: 'Tollgate__Admin__Keys__0__KeyHash'
        value: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${adminKeyHashSecretName})'
      }
    ]

// The AuthStyle each upstream presents its key with: None for Entra ID sign-in (a token replaces the key, and the
// validator refuses a Secret with it), otherwise as given, by default Bearer, or ApiKey (the api-key header) for Azure OpenAI.
var upstreamAuthStyles = map(
  upstreams,
  upstream =>
    (upstream.?azure.?authMode ?? 'ApiKey') == 'Entra'
      ? 'None'
      : (upstream.?authStyle ?? (upstream.?azure == null ? 'Bearer' : 'ApiKey'))
)

var upstreamSettings = flatten(map(
  upstreams,
  (upstream, i) =>
    concat(
      [
        { name: 'Tollgate__Upstreams__${upstream.name}__BaseUrl', value: upstream.baseUrl }
        { name: 'Tollgate__Upstreams__${upstream.name}__PathStyle', value: upstream.?pathStyle ?? 'V1' }
        { name: 'Tollgate__Upstreams__${upstream.name}__AuthStyle', value: upstreamAuthStyles[i] }
        { name: 'Tollgate__Upstreams__${upstream.name}__Envelope', value: (upstream.?envelope ?? false) ? 'true' : 'false' }
      ],
      upstreamAuthStyles[i] == 'None'
        ? []
        : [
            {
              name: 'Tollgate__Upstreams__${upstream.name}__Secret'
              value: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=upstream-${upstream.name})'
            }
          ],
      upstream.?azure == null
        ? []
        : concat(
            [
              {
                name: 'Tollgate__Upstreams__${upstream.name}__Azure__AuthMode'
                value: upstream.?azure.?authMode ?? 'ApiKey'
              }
              {
                name: 'Tollgate__Upstreams__${upstream.name}__Azure__ApiStyle'
                value: upstream.?azure.?apiStyle ?? 'V1'
              }
            ],
            empty(upstream.?azure.?apiVersion ?? '')
              ? []
              : [
                  {
                    name: 'Tollgate__Upstreams__${upstream.name}__Azure__ApiVersion'
                    value: upstream.?azure.?apiVersion ?? ''
                  }
                ],
            empty(upstream.?azure.?deployment ?? '')
              ? []
              : [
                  {
                    name: 'Tollgate__Upstreams__${upstream.name}__Azure__Deployment'
                    value: upstream.?azure.?deployment ?? ''
                  }
                ],
            (upstream.?azure.?authMode ?? 'ApiKey') == 'Entra'
              ? [
                  {
                    name: 'Tollgate__Upstreams__${upstream.name}__Azure__ManagedIdentityClientId'
                    value: identity.properties.clientId
                  }
                ]
              : []
          ),
      [
        {
          name: 'Tollgate__Upstreams__${upstream.name}__ModelMap'
          value: join(map(items(upstream.models), model => '${model.key}=${model.value}'), ';')
        }
      ]
    )
))

// The Azure OpenAI accounts Entra upstreams sign in to, lower-cased so that one account spelt in two ways is one,
// then each once: two upstreams on one account share its role assignment.
var entraAccountIdsAsGiven = map(
  filter(
    upstreams,
    upstream => (upstream.?azure.?authMode ?? 'ApiKey') == 'Entra' && !empty(upstream.?azure.?resourceId ?? '')
  ),
  upstream => toLower(trim(upstream.?azure.?resourceId ?? ''))
)
var entraAccountIds = filter(entraAccountIdsAsGiven, (id, i) => indexOf(entraAccountIdsAsGiven, id) == i)

// A well-formed id, /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.CognitiveServices/accounts/{n}, is 9 parts
// split at '/', none empty but the first, and reads the same rebuilt from them. Anything else fails the deployment
// before it starts, naming the id.
var entraAccountParts = map(
  entraAccountIds,
  id => length(split(id, '/')) == 9 ? split(id, '/') : ['', '', '', '', '', '', '', '', '']
)
var entraAccountRebuiltIds = map(
  entraAccountParts,
  parts =>
    '/subscriptions/${parts[2]}/resourcegroups/${parts[4]}/providers/microsoft.cognitiveservices/accounts/${parts[8]}'
)
var entraAccounts = map(
  entraAccountParts,
  (parts, i) =>
    !contains(skip(parts, 1), '') && entraAccountIds[i] == entraAccountRebuiltIds[i]
      ? { id: entraAccountIds[i], subscriptionId: parts[2], resourceGroup: parts[4], name: parts[8] }
      : fail('azure.resourceId \'${entraAccountIds[i]}\' is not the id of a Microsoft.CognitiveServices/accounts resource: /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/accounts/{name}.')
)

// Cognitive Services OpenAI User for the identity on each of those accounts, in the account's own resource group.
module openAiRoles 'modules/openai-role.bicep' = [
  for account in entraAccounts: {
    name: 'tollgate-openai-${uniqueString(resourceToken, account.id)}'
    scope: resourceGroup(account.subscriptionId, account.resourceGroup)
    params: {
      accountName: account.name
      appPrincipalId: identity.properties.principalId
    }
  }
]

module functionApp 'modules/functionapp.bicep' = {
  name: 'tollgate-functionapp'
  params: {
    location: location
    tags: tags
    serviceName: 'api'
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    hostingPlan: hostingPlan
    identityName: identity.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    perInstanceConcurrency: perInstanceConcurrency
    alwaysReadyInstanceCount: alwaysReadyInstanceCount
    elasticPremiumSku: elasticPremiumSku
    elasticPremiumMaximumWorkerCount: elasticPremiumMaximumWorkerCount
    elasticPremiumMinimumInstanceCount: elasticPremiumMinimumInstanceCount
    elasticPremiumPackageBlobName: elasticPremiumPackageBlobName
    appSettings: concat(tollgateSettings, adminSettings, upstreamSettings)
  }
}

@description('Base URL of the gateway: clients call {this}/v1/chat/completions.')
output TOLLGATE_ENDPOINT string = 'https://${functionApp.outputs.defaultHostName}'

@description('Name of the function app.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Name of the Key Vault that holds upstream-{name} and tollgate-admin-key-hash.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Name of the storage account (host storage, deployment container, Tollgate tables).')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Region the resources were created in.')
output AZURE_LOCATION string = location
