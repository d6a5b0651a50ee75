/**
 * The pure guards the local S3 puts before hostile bodies (issue 18): how deep its XML reader goes
 * (sandbox/storage/xml.ts), and whether a caller could delete anything in a bucket at all, decided
 * before a DeleteObjects body is read (sandbox/storage/access.ts), with the policies Gen 2
 * synthesizes for `defineStorage({ access })`.
 */
import { describe, expect, it } from 'vitest'
import type { PolicyDocument } from '../../../sandbox/iam/types'
import { mayActOnSomeObject } from '../../../sandbox/storage/access'
import { MAX_XML_DEPTH, parseXml, XmlSyntaxError } from '../../../sandbox/storage/xml'

const nested = (depth: number) => `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`

describe('XML nesting', () => {
  it('reads documents nested up to the limit, and refuses deeper ones as malformed, not with a stack overflow', () => {
    expect(parseXml(nested(MAX_XML_DEPTH)).name).toBe('a')
    expect(() => parseXml(nested(MAX_XML_DEPTH + 1))).toThrow(XmlSyntaxError)
    expect(() => parseXml(`<Delete>${nested(100_000)}</Delete>`)).toThrow(XmlSyntaxError)
  })
})

describe('whether a caller could delete anything in a bucket', () => {
  const BUCKET = 'files.abc123def456'
  const ARN = `arn:aws:s3:::${BUCKET}`
  const policy = (...Statement: PolicyDocument['Statement'][]): PolicyDocument => ({ Version: '2012-10-17', Statement: Statement.flat() })
  // What Gen 2 gives a guest with `read` on public/*, and a user with `delete` on their own folder.
  const guest = policy(
    { Effect: 'Allow', Action: 's3:GetObject', Resource: `${ARN}/public/*` },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: ARN, Condition: { StringLike: { 's3:prefix': ['public/*', 'public/'] } } },
  )
  const owner = policy({ Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: `${ARN}/private/\${cognito-identity.amazonaws.com:sub}/*` })

  it('says no to a caller no statement lets delete here, and maybe to one some key might', () => {
    expect(mayActOnSomeObject([guest], 's3:DeleteObject', BUCKET)).toBe(false)
    expect(mayActOnSomeObject([guest, owner], 's3:DeleteObject', BUCKET)).toBe(true)
  })

  it('reads wildcards in actions and resources, and an exact key', () => {
    expect(mayActOnSomeObject([policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], 's3:DeleteObject', BUCKET)).toBe(true)
    expect(mayActOnSomeObject([policy({ Effect: 'Allow', Action: 's3:Delete*', Resource: 'arn:aws:s3:::files.*' })], 's3:DeleteObject', BUCKET)).toBe(true)
    expect(mayActOnSomeObject([policy({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${ARN}/one.txt` })], 's3:DeleteObject', BUCKET)).toBe(true)
    expect(mayActOnSomeObject([policy({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: ['arn:aws:s3:::other/*', ARN] })], 's3:DeleteObject', BUCKET)).toBe(false)
    expect(mayActOnSomeObject([policy({ Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: '*' })], 's3:DeleteObject', BUCKET)).toBe(false)
  })

  it('leaves conditions and denies to the check of each key', () => {
    const conditional = policy({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: `${ARN}/*`, Condition: { Bool: { 'aws:SecureTransport': 'true' } } })
    const denied = policy({ Effect: 'Deny', Action: 's3:*', Resource: `${ARN}/*` })
    expect(mayActOnSomeObject([conditional, denied], 's3:DeleteObject', BUCKET)).toBe(true)
  })
})
