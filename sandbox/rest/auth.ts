/**
 * A REST method's authorization, as API Gateway applies it before the integration runs:
 * `AWS_IAM` verifies the SigV4 signature (service `execute-api`) with the sandbox's IAM and asks
 * it whether the signer may `execute-api:Invoke` the request's ARN (no signature at all is 403
 * Missing Authentication Token); `COGNITO_USER_POOLS` checks the token in the authorizer's header
 * with the user pool: an id token, or an access token carrying one of the method's scopes when it
 * names some (401 Unauthorized otherwise). Like API Gateway, it does not ask whether the token's
 * session was revoked: a signed-out user's token works until it expires.
 */
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
      throw errors.unauthorized()
    case 'AWS_IAM': {
      const verified = await authorizers.iam.verify({ method: call.method, path: call.rawPath, query: call.rawQuery, headers: call.headers, body: call.body }, 'execute-api')
      if (!verified.ok) throw verified.code === 'MissingAuthenticationTokenException' ? errors.missingAuthenticationToken() : errors.signatureRefused(verified)
      const decision = authorizers.iam.authorize(verified.principal, 'execute-api:Invoke', call.executeArn)
      if (decision !== 'allow') throw errors.accessDenied(verified.principal.userArn, call.executeArn, decision === 'explicit-deny')
      return { kind: 'iam', principal: verified.principal }
    }
    case 'COGNITO_USER_POOLS': {
      const { authorizer, scopes } = authorization
      if (!authorizer.userPoolArns.includes(authorizers.userPoolArn)) throw errors.unauthorized()
      const sent = call.headers[authorizer.header]
      const token = (Array.isArray(sent) ? sent.at(-1) : sent)?.trim().replace(/^Bearer\s+/i, '')
      if (!token) throw errors.unauthorized()
      const claims = await authorizers.verifyToken(token, scopes.length ? 'access' : 'id', { checkRevocation: false }).catch(() => {
        throw errors.unauthorized()
      })
      if (scopes.length) {
        const granted = new Set(String(claims.scope ?? '').split(' '))
        if (!scopes.some(scope => granted.has(scope))) throw errors.unauthorized()
      }
      return { kind: 'cognito', claims }
    }
  }
}
