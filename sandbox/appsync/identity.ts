/**
 * `ctx.identity`, `ctx.request` and `util.authType()` as AppSync gives them to resolvers, built
 * from the caller the local API authenticated. One definition for VTL templates (./simulator.ts
 * puts these in the simulator's render context) and APPSYNC_JS code (./javascript/template.ts), so
 * a Lambda behind `a.handler.function` receives the event AppSync's Amplify-generated template
 * builds. The simulator's own identity lacks `groups` and `accountId`, gives `sourceIp` as a
 * string where AppSync gives a list, and adds a `cognito:username` key AppSync does not have.
 */
import type { LocalExecutionContext } from './simulator'

/** AppSync reports an IPv4 caller in dotted form; a dual-stack socket says `::ffff:127.0.0.1`. */
function sourceIps(address: string | undefined): string[] {
  if (!address) return []
  return [address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address]
}

/**
 * The identity of the caller: user pool callers get `claims, defaultAuthStrategy, groups, issuer,
 * sourceIp, sub, username`, IAM callers `accountId, cognitoIdentity*, sourceIp, userArn,
 * username`, API-key callers null.
 */
export function appSyncIdentity(context: LocalExecutionContext, userPoolsIsDefault: boolean): Record<string, unknown> | null {
  const sourceIp = sourceIps(context.sourceIp)
  switch (context.requestAuthorizationMode) {
    case 'AMAZON_COGNITO_USER_POOLS': {
      const claims = context.jwt ?? {}
      return {
        claims,
        // The strategy of the pool's default action: Gen 2's pools allow, and AppSync names it only when user pools are the default mode.
        ...(userPoolsIsDefault ? { defaultAuthStrategy: 'ALLOW' } : {}),
        groups: claims['cognito:groups'] ?? null,
        issuer: claims.iss ?? null,
        sourceIp,
        sub: claims.sub ?? null,
        username: claims['cognito:username'] ?? claims.username ?? null,
      }
    }
    case 'AWS_IAM': {
      const iam = context.iamToken
      if (!iam) return null
      return {
        accountId: iam.userArn.split(':')[4] ?? null,
        cognitoIdentityAuthProvider: iam.cognitoIdentityAuthProvider ?? null,
        cognitoIdentityAuthType: iam.cognitoIdentityAuthType ?? null,
        cognitoIdentityId: iam.cognitoIdentityId ?? null,
        cognitoIdentityPoolId: iam.cognitoIdentityPoolId ?? null,
        sourceIp,
        userArn: iam.userArn,
        username: iam.username,
      }
    }
    default:
      return null
  }
}

/** `ctx.request`: the HTTP headers the caller sent, and the custom domain (none offline). */
export function appSyncRequest(context: LocalExecutionContext): { headers: Record<string, unknown>, domainName: null } {
  return { headers: { ...context.headers }, domainName: null }
}

const AUTH_TYPES: Record<LocalExecutionContext['requestAuthorizationMode'], string> = {
  AMAZON_COGNITO_USER_POOLS: 'User Pool Authorization',
  AWS_IAM: 'IAM Authorization',
  API_KEY: 'API Key Authorization',
}

/** What `util.authType()` answers. */
export function appSyncAuthType(context: LocalExecutionContext): string {
  return AUTH_TYPES[context.requestAuthorizationMode] ?? 'API Key Authorization'
}
