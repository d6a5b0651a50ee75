/**
 * What of a user pool the local one does not serve (../core/unserved.ts gathers every service's
 * lines): triggers it does not run, remembered devices, passwordless sign-in, usernames that are
 * neither an e-mail address nor a phone number, external providers and the hosted UI. MFA (TOTP,
 * SMS, e-mail) and phone-number sign-in are served: their text messages go to the sandbox's mailbox.
 */
import type { AssemblyReader } from '../core/unserved'

/** Cognito's `LambdaConfig` keys, as Gen 2 names the trigger, and what happens without it. */
const TRIGGERS: Record<string, { name: string, effect: string }> = {
  PreSignUp: { name: 'preSignUp', effect: 'sign-ups go through unchecked' },
  PostConfirmation: { name: 'postConfirmation', effect: 'confirmations complete without it' },
  PreAuthentication: { name: 'preAuthentication', effect: 'sign-ins go through unchecked' },
  PostAuthentication: { name: 'postAuthentication', effect: 'sign-ins complete without it' },
  PreTokenGeneration: { name: 'preTokenGeneration', effect: 'tokens carry only the claims the pool itself puts in' },
  PreTokenGenerationConfig: { name: 'preTokenGeneration', effect: 'tokens carry only the claims the pool itself puts in' },
  CustomMessage: { name: 'customMessage', effect: 'messages use the pool\'s own text (printed by the sandbox)' },
  DefineAuthChallenge: { name: 'defineAuthChallenge', effect: 'custom-challenge sign-in (CUSTOM_WITHOUT_SRP) is refused' },
  CreateAuthChallenge: { name: 'createAuthChallenge', effect: 'custom-challenge sign-in (CUSTOM_WITHOUT_SRP) is refused' },
  VerifyAuthChallengeResponse: { name: 'verifyAuthChallengeResponse', effect: 'custom-challenge sign-in (CUSTOM_WITHOUT_SRP) is refused' },
  UserMigration: { name: 'userMigration', effect: 'users unknown to the local pool are not migrated: their sign-in fails' },
  CustomEmailSender: { name: 'customEmailSender', effect: 'e-mails are printed by the sandbox instead' },
  CustomSMSSender: { name: 'customSmsSender', effect: 'text messages are not sent' },
}

/** Triggers the local user pool runs (./cognito/triggers.ts). */
const SERVED_TRIGGERS = new Set(['PreSignUp', 'PostConfirmation', 'PreAuthentication', 'PostAuthentication', 'PreTokenGeneration', 'PreTokenGenerationConfig', 'CustomMessage'])

/** The resource types the user pool serves or judges below. */
export const USER_POOL_RESOURCE_TYPES = [
  'AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolGroup', 'AWS::Cognito::UserPoolUICustomizationAttachment',
  'AWS::Cognito::UserPoolIdentityProvider', 'AWS::Cognito::UserPoolDomain',
]

export function userPoolUnserved(reader: AssemblyReader): string[] {
  const { assembly } = reader
  const lines: string[] = []
  for (const pool of assembly.resourcesOfType('AWS::Cognito::UserPool')) {
    const triggers = (pool.resource.Properties?.LambdaConfig ?? {}) as Record<string, unknown>
    const evaluated = (reader.value(pool, 'LambdaConfig') ?? {}) as Record<string, unknown>
    for (const key of Object.keys(triggers)) {
      const trigger = TRIGGERS[key]
      if (!trigger || SERVED_TRIGGERS.has(key)) continue
      const target = key === 'PreTokenGenerationConfig' ? (evaluated[key] as { LambdaArn?: unknown } | undefined)?.LambdaArn : evaluated[key]
      lines.push(`Auth: the ${trigger.name} trigger${reader.functionOf(target, ' (function ', ')')} is not run offline: ${trigger.effect}.`)
    }

    if (reader.value(pool, 'DeviceConfiguration')) {
      lines.push('Auth: remembered devices (DeviceConfiguration) are not served offline: every sign-in asks for the second factor, and rememberDevice and fetchDevices fail.')
    }
    const firstFactors = (((reader.value(pool, 'Policies') ?? {}) as { SignInPolicy?: { AllowedFirstAuthFactors?: string[] } }).SignInPolicy?.AllowedFirstAuthFactors ?? [])
      .filter(factor => factor !== 'PASSWORD')
    if (firstFactors.length) {
      lines.push(`Auth: passwordless sign-in (${firstFactors.join(', ')}) is not served offline: the USER_AUTH flow is refused; sign-in with a password works.`)
    }
    const usernames = (reader.value(pool, 'UsernameAttributes') ?? []) as string[]
    if (!usernames.includes('email') && !usernames.includes('phone_number')) {
      lines.push('Auth: usernames that are neither an e-mail address nor a phone number are not served offline: sign-up is refused.')
    }
  }
  const providers = assembly.resourcesOfType('AWS::Cognito::UserPoolIdentityProvider').map(idp => String(reader.value(idp, 'ProviderName') ?? idp.logicalId))
  if (providers.length) {
    lines.push(`Auth: sign-in with ${providers.join(', ')} (externalProviders) is not served offline: signInWithRedirect has no hosted UI to reach and fails.`)
  }
  else if (assembly.resourcesOfType('AWS::Cognito::UserPoolDomain').length) {
    lines.push('Auth: the hosted UI (user pool domain) is not served offline: signInWithRedirect fails.')
  }
  return lines
}
