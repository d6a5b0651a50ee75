/**
 * A REST method's authorization, as API Gateway applies it before the integration runs:
 * `AWS_IAM` verifies the SigV4 signature (service `execute-api`) with the sandbox's IAM and asks
 * it whether the signer may `execute-api:Invoke` the request's ARN (no signature at all is 403
 * Missing Authentication Token); `COGNITO_USER_POOLS` checks the token in the authorizer's header
 * with the user pool: an id token, or an access token carrying one of the method's scopes when it
 * names some (401 Unauthorized otherwise). Like API Gateway, it does not ask whether the token's
 * session was revoked: a signed-out user's token works until it expires.
 */
import { principalCaller } from '../core/requests'
import type { Iam } from '../iam'
import type { UserPool } from '../core/types'
import * as errors from './errors'
import type { ProxyCaller } from './event'
import type { MethodSettings } from './settings'

export interface Authorizers {
  iam: Iam
  verifyToken: UserPool['verifyToken']
  /** The backend's user pool, as authorizers' `ProviderARNs` name it. */
  userPoolArn: string
}

export interface SignedCall {
  method: string
  /** As received, percent-encoding untouched (what the signature covers). */
  rawPath: string
  rawQuery: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** `arn:aws:execute-api:…` of this call (./routing.ts). */
  executeArn: string
}

/** Who the call is authorized as; throws the GatewayError API Gateway answers with otherwise. */
export async function authorize(method: MethodSettings, call: SignedCall, authorizers: Authorizers): Promise<ProxyCaller> {
  const { authorization } = method
  switch (authorization.type) {
    case 'NONE':
      return { kind: 'none' }
    case 'CUSTOM':
      throw errors.because(errors.unauthorized(), 'the method has a Lambda authorizer, which the offline sandbox does not run')
    case 'AWS_IAM': {
      const verified = await authorizers.iam.verify({ method: call.method, path: call.rawPath, query: call.rawQuery, headers: call.headers, body: call.body }, 'execute-api')
      if (!verified.ok) throw verified.code === 'MissingAuthenticationTokenException' ? errors.missingAuthenticationToken() : errors.signatureRefused(verified)
      const decision = authorizers.iam.authorize(verified.principal, 'execute-api:Invoke', call.executeArn)
      if (decision !== 'allow') {
        const reason = authorizers.iam.explain(verified.principal, 'execute-api:Invoke', call.executeArn)
        throw errors.because(errors.accessDenied(verified.principal.userArn, call.executeArn, decision === 'explicit-deny'), reason, principalCaller(verified.principal))
      }
      return { kind: 'iam', principal: verified.principal }
    }
    case 'COGNITO_USER_POOLS': {
      const { authorizer, scopes } = authorization
      const refused = (reason: string) => errors.because(errors.unauthorized(), `the ${authorizer.name} authorizer (COGNITO_USER_POOLS): ${reason}`)
      if (!authorizer.userPoolArns.includes(authorizers.userPoolArn)) throw refused('it names a user pool that is not the backend\'s')
      const sent = call.headers[authorizer.header]
      const token = (Array.isArray(sent) ? sent.at(-1) : sent)?.trim().replace(/^Bearer\s+/i, '')
      if (!token) throw refused(`no token in the ${authorizer.header} header`)
      // What aws-amplify's REST client sends unless the app passes a token itself.
      if (token.startsWith('AWS4-HMAC-SHA256')) throw refused(`the ${authorizer.header} header holds a SigV4 signature, not the user's ${scopes.length ? 'access' : 'id'} token`)
      const use = scopes.length ? 'access' : 'id'
      const claims = await authorizers.verifyToken(token, use, { checkRevocation: false }).catch((error: Error) => {
        throw refused(`the ${authorizer.header} header holds no valid ${use} token (${error.message})`)
      })
      if (scopes.length) {
        const granted = new Set(String(claims.scope ?? '').split(' '))
        if (!scopes.some(scope => granted.has(scope))) throw refused(`the access token carries none of the method's scopes ${scopes.join(', ')}`)
      }
      return { kind: 'cognito', claims }
    }
  }
}
