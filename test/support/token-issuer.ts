/**
 * A stand-in for the local user pool's token side: RS256 tokens shaped like Cognito's, verified
 * with jose, so the data API can be tested without the user pool.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT, generateKeyPair, jwtVerify, type JWTPayload } from 'jose'
import type { TestTokens } from './amplify-users'

/** The claims a user gets in both tokens; `sub` doubles as the username, as with email sign-in. */
export interface TestUser {
  sub: string
  email: string
}

export interface TestTokenIssuer {
  userPoolId: string
  clientId: string
  issuer: string
  /**
   * Tokens shaped like Cognito's for a user; `expiresIn` in seconds (negative: already expired);
   * `groups` go into `cognito:groups` of both tokens, as Cognito puts them (absent when none).
   */
  tokensFor(user: TestUser, options?: { expiresIn?: number, groups?: string[] }): Promise<TestTokens>
  /** Checks a token the way the user pool's `verifyToken` does (signature, issuer, expiry, client, revocation). */
  verifyToken(token: string): Promise<JWTPayload>
  /** Revokes every token minted with this `origin_jti`. */
  revoke(originJti: string): void
}

/**
 * A stand-in for the local user pool's token side: RS256 tokens with Cognito's claims, verified
 * with jose. Lets the data API be tested without the user pool.
 */
export async function createTestTokenIssuer(region = 'us-east-1'): Promise<TestTokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const kid = randomUUID()
  const userPoolId = `${region}_test`
  const clientId = 'testclient0000000000000000'.slice(0, 26)
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`
  const revoked = new Set<string>()

  const sign = (claims: JWTPayload, expiresIn: number) => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(privateKey)
  }

  return {
    userPoolId,
    clientId,
    issuer,
    async tokensFor(user, options = {}) {
      const expiresIn = options.expiresIn ?? 3600
      const originJti = randomUUID()
      const authTime = Math.floor(Date.now() / 1000)
      const groups = options.groups?.length ? { 'cognito:groups': options.groups } : {}
      const [accessToken, idToken] = await Promise.all([
        sign(
          { sub: user.sub, ...groups, client_id: clientId, origin_jti: originJti, event_id: randomUUID(), token_use: 'access', scope: 'aws.cognito.signin.user.admin', auth_time: authTime, username: user.sub },
          expiresIn,
        ),
        sign(
          {
            'sub': user.sub,
            ...groups,
            'aud': clientId,
            'email_verified': true,
            'cognito:username': user.sub,
            'origin_jti': originJti,
            'event_id': randomUUID(),
            'token_use': 'id',
            'auth_time': authTime,
            'email': user.email,
          },
          expiresIn,
        ),
      ])
      return { accessToken, idToken }
    },
    async verifyToken(token) {
      const { payload } = await jwtVerify(token, publicKey, { issuer, algorithms: ['RS256'] })
      const audience = payload.token_use === 'id' ? payload.aud : payload.client_id
      if (audience !== clientId) throw new Error('Token was issued to another client')
      if (typeof payload.origin_jti === 'string' && revoked.has(payload.origin_jti)) throw new Error('Token has been revoked')
      return payload
    },
    revoke(originJti) {
      revoked.add(originJti)
    },
  }
}
