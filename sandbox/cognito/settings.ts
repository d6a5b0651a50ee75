/**
 * What the local user pool takes from the synthesized `AWS::Cognito::UserPool`, its web client and
 * its `AWS::Cognito::UserPoolGroup`s, with the sandbox's ids.
 */
import type { CloudAssembly, FoundResource } from '../assembly'
import type { MfaMethod, UserPoolGroup, UserPoolMfa, UserPoolSettings, UserPoolTriggers } from '../core/types'

/** Cognito's lifetimes when the client sets none: 60 min access/id, 30 days refresh. */
const DEFAULT_VALIDITY = { AccessToken: 60 * 60, IdToken: 60 * 60, RefreshToken: 30 * 24 * 60 * 60 }
const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 }
/** Units Cognito assumes when `TokenValidityUnits` is absent. */
const DEFAULT_UNITS = { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' }
/** Cognito's texts when the pool sets none. */
const DEFAULT_SMS = { verificationMessage: 'Your verification code is {####}', authenticationMessage: 'Your authentication code is {####}. ' }
const MFA_METHODS: readonly string[] = ['SOFTWARE_TOKEN_MFA', 'SMS_MFA', 'EMAIL_OTP'] satisfies MfaMethod[]

/** The pool's settings, or `undefined` when the backend defines no user pool. */
export function userPoolSettings(assembly: CloudAssembly): UserPoolSettings | undefined {
  // Only the properties read here are evaluated: the rest may hold intrinsics the sandbox never needs.
  const reader = (found: FoundResource | undefined) => (name: string): unknown => found && assembly.property(found.stack, found.logicalId, name)
  const [poolResource] = assembly.resourcesOfType('AWS::Cognito::UserPool')
  if (!poolResource) return undefined
  const pool = reader(poolResource)
  // Amplify's web client is the one without a secret (a browser cannot keep one).
  const client = reader(assembly.resourcesOfType('AWS::Cognito::UserPoolClient').find(c => !reader(c)('GenerateSecret')))
  const policy = ((pool('Policies') as Record<string, unknown> | undefined)?.PasswordPolicy ?? {}) as Record<string, unknown>
  const template = (pool('VerificationMessageTemplate') ?? {}) as Record<string, string>
  const units = { ...DEFAULT_UNITS, ...(client('TokenValidityUnits') as Record<string, string> | undefined) }
  const validity = (key: keyof typeof DEFAULT_VALIDITY, prop: string) => {
    const value = client(prop)
    return typeof value === 'number' ? value * (UNIT_SECONDS[units[key]] ?? 1) : DEFAULT_VALIDITY[key]
  }
  const { region, accountId, userPoolId, clientId } = assembly.ids
  return {
    region,
    accountId,
    userPoolId,
    clientId,
    passwordPolicy: {
      minimumLength: Number(policy.MinimumLength ?? 8),
      requireLowercase: policy.RequireLowercase === true,
      requireUppercase: policy.RequireUppercase === true,
      requireNumbers: policy.RequireNumbers === true,
      requireSymbols: policy.RequireSymbols === true,
    },
    usernameAttributes: (pool('UsernameAttributes') as string[] | undefined) ?? [],
    caseSensitive: (pool('UsernameConfiguration') as { CaseSensitive?: boolean } | undefined)?.CaseSensitive ?? true,
    autoVerifiedAttributes: (pool('AutoVerifiedAttributes') as string[] | undefined) ?? [],
    requiredAttributes: ((pool('Schema') as Array<{ Name: string, Required?: boolean }> | undefined) ?? [])
      .filter(a => a.Required)
      .map(a => a.Name),
    explicitAuthFlows: (client('ExplicitAuthFlows') as string[] | undefined) ?? [],
    preventUserExistenceErrors: client('PreventUserExistenceErrors') === 'ENABLED',
    tokenValidity: {
      accessSeconds: validity('AccessToken', 'AccessTokenValidity'),
      idSeconds: validity('IdToken', 'IdTokenValidity'),
      refreshSeconds: validity('RefreshToken', 'RefreshTokenValidity'),
    },
    verificationEmail: {
      subject: template.EmailSubject ?? String(pool('EmailVerificationSubject') ?? 'Your verification code'),
      message: template.EmailMessage ?? String(pool('EmailVerificationMessage') ?? 'Your verification code is {####}'),
    },
    groups: poolGroups(assembly, userPoolId),
    triggers: poolTriggers(pool('LambdaConfig')),
    mfa: poolMfa(pool('MfaConfiguration'), pool('EnabledMfas')),
    sms: {
      verificationMessage: template.SmsMessage ?? String(pool('SmsVerificationMessage') ?? DEFAULT_SMS.verificationMessage),
      authenticationMessage: String(pool('SmsAuthenticationMessage') ?? DEFAULT_SMS.authenticationMessage),
    },
    accountRecovery: recoveryMechanisms(pool('AccountRecoverySetting')),
    // Minutes, 3 to 15; Cognito's default is 3.
    authSessionSeconds: Number(client('AuthSessionValidity') ?? 3) * 60,
  }
}

/** `MfaConfiguration` (`OFF` when absent, as CloudFormation defaults it) and the factors `EnabledMfas` names. */
function poolMfa(configuration: unknown, enabled: unknown): UserPoolMfa {
  const methods = (Array.isArray(enabled) ? enabled : []).filter((method): method is MfaMethod => MFA_METHODS.includes(method))
  return { configuration: configuration === 'ON' || configuration === 'OPTIONAL' ? configuration : 'OFF', methods }
}

/** The recovery mechanisms' names, highest priority (lowest number) first. */
function recoveryMechanisms(setting: unknown): string[] | undefined {
  const mechanisms = (setting as { RecoveryMechanisms?: Array<{ Name?: unknown, Priority?: unknown }> } | undefined)?.RecoveryMechanisms
  if (!Array.isArray(mechanisms)) return undefined
  return [...mechanisms].sort((a, b) => Number(a.Priority ?? 0) - Number(b.Priority ?? 0)).map(m => String(m.Name))
}

/** `LambdaConfig`'s function ARNs for the triggers the sandbox runs. */
function poolTriggers(config: unknown): UserPoolTriggers {
  const lambda = (config ?? {}) as Record<string, unknown>
  const triggers: UserPoolTriggers = {}
  for (const name of ['PreSignUp', 'PostConfirmation', 'PreAuthentication', 'PostAuthentication', 'CustomMessage'] as const) {
    if (typeof lambda[name] === 'string') triggers[name] = lambda[name]
  }
  const versioned = lambda.PreTokenGenerationConfig as { LambdaArn?: unknown, LambdaVersion?: unknown } | undefined
  if (typeof versioned?.LambdaArn === 'string') {
    triggers.PreTokenGeneration = { arn: versioned.LambdaArn, version: versioned.LambdaVersion === 'V3_0' ? 3 : versioned.LambdaVersion === 'V2_0' ? 2 : 1 }
  }
  else if (typeof lambda.PreTokenGeneration === 'string') {
    triggers.PreTokenGeneration = { arn: lambda.PreTokenGeneration, version: 1 }
  }
  return triggers
}

/** The pool's `AWS::Cognito::UserPoolGroup`s (a backend may define pools of its own; the sandbox serves the first). */
function poolGroups(assembly: CloudAssembly, userPoolId: string): UserPoolGroup[] {
  const groups: UserPoolGroup[] = []
  for (const { stack, logicalId } of assembly.resourcesOfType('AWS::Cognito::UserPoolGroup')) {
    const property = (name: string) => assembly.property(stack, logicalId, name)
    if (property('UserPoolId') !== userPoolId) continue
    const [name, precedence, roleArn, description] = ['GroupName', 'Precedence', 'RoleArn', 'Description'].map(property)
    groups.push({
      // CloudFormation names a group without GroupName itself; its logical id stands in.
      name: typeof name === 'string' ? name : logicalId,
      ...(typeof precedence === 'number' ? { precedence } : {}),
      ...(typeof roleArn === 'string' ? { roleArn } : {}),
      ...(typeof description === 'string' ? { description } : {}),
    })
  }
  return groups
}
