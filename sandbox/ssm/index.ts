/**
 * A local SSM Parameter Store, as much of it as Gen 2 functions use: `GetParameters` and
 * `GetParameter`. Every function bundle `defineFunction` makes starts by fetching its secrets and
 * resource references (`AMPLIFY_SSM_ENV_CONFIG`: the data API's URL, the user pool's id…) from SSM
 * with `@aws-sdk/client-ssm`; pointed here by `AWS_ENDPOINT_URL_SSM`, that code runs unchanged.
 *
 * Parameters are the backend's `AWS::SSM::Parameter` resources (values evaluated, cloud endpoints
 * replaced by local ones) and the secrets set with `npm run sandbox:secret`. Requests are
 * SigV4-verified and checked against the caller's role (`ssm:GetParameters` on the parameter's
 * ARN), as SSM does. AWS JSON 1.1 on the user pool's port, told apart by `X-Amz-Target`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AMZ_JSON, AwsJsonError, parseBody, sendError, type Body } from '../core/aws-json'
import { guard, headerValue, PayloadTooLargeError, readBody, sendJson } from '../core/http'
import type { Iam } from '../iam/types'
import type { SandboxIds } from '../core/ids'
import type { SecretStore } from './secrets'

const TARGET_PREFIX = 'AmazonSSM.'
const MAX_BODY_BYTES = 64 * 1024

const errors = {
  bodyNotJson: () => new AwsJsonError('SerializationException', 'Request body is not valid JSON'),
  bodyNotObject: () => new AwsJsonError('SerializationException', 'Request body must be a JSON object'),
  wrongType: (expected: string, field: string) => new AwsJsonError('SerializationException', `Expected ${expected} for ${field}`),
  constraintFailed: (field: string, _value: unknown, rule: string) => new AwsJsonError('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${rule}`),
}

export function isParameterStoreRequest(req: IncomingMessage): boolean {
  const target = req.headers['x-amz-target']
  return typeof target === 'string' && target.startsWith(TARGET_PREFIX)
}

export interface ParameterStore {
  handle(req: IncomingMessage, res: ServerResponse): void
  /** The backend's parameters, by name (replaced at each reload). */
  setParameters(parameters: ReadonlyMap<string, string>): void
  /** A parameter's value (a backend parameter or a secret), as a function would read it. */
  lookup(name: string): string | undefined
}

/** The secret name at the end of a Gen 2 secret path (`/amplify/<namespace>/<backend>/NAME` or `/amplify/shared/<namespace>/NAME`). */
export function secretNameOf(path: string): string | undefined {
  if (!path.startsWith('/amplify/') || path.startsWith('/amplify/resource_reference/')) return undefined
  return path.slice(path.lastIndexOf('/') + 1) || undefined
}

export function createParameterStore(options: { iam: Iam, ids: SandboxIds, secrets: SecretStore }): ParameterStore {
  const { iam, ids, secrets } = options
  let parameters: ReadonlyMap<string, string> = new Map()

  const lookup = (name: string): string | undefined => {
    const own = parameters.get(name)
    if (own !== undefined) return own
    const secret = secretNameOf(name)
    return secret ? secrets.get(secret) : undefined
  }

  const arnOf = (name: string) => `arn:aws:ssm:${ids.region}:${ids.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`
  const answer = (name: string, value: string) => ({
    Name: name,
    Type: secretNameOf(name) ? 'SecureString' : 'String',
    Value: value,
    Version: 1,
    ARN: arnOf(name),
    DataType: 'text',
  })

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST') throw new AwsJsonError('UnknownOperationException', `${req.method ?? ''} is not supported`)
      const raw = await readBody(req, { limit: MAX_BODY_BYTES })
      const verified = await iam.verify({ method: 'POST', path: (req.url ?? '/').split('?')[0] ?? '/', query: '', headers: req.headers, body: raw }, 'ssm')
      if (!verified.ok) throw new AwsJsonError(verified.code, verified.message, verified.status)
      const body = parseBody(raw, errors)
      const target = headerValue(req.headers['x-amz-target']).slice(TARGET_PREFIX.length)
      const names = target === 'GetParameters' ? stringList(body, 'Names') : target === 'GetParameter' ? [requiredName(body)] : undefined
      if (!names) throw new AwsJsonError('UnknownOperationException', `The offline sandbox's SSM serves GetParameter and GetParameters, not ${target.slice(0, 64)}`)
      for (const name of names) {
        // SSM checks the caller may read each parameter it names, before answering any.
        if (!iam.isAllowed(verified.principal, `ssm:${target}`, arnOf(name))) {
          throw new AwsJsonError('AccessDeniedException', `User: ${verified.principal.userArn} is not authorized to perform: ssm:${target} on resource: ${arnOf(name)} because no identity-based policy allows the ssm:${target} action`)
        }
      }
      if (target === 'GetParameter') {
        const name = names[0]!
        const value = lookup(name)
        if (value === undefined) throw new AwsJsonError('ParameterNotFound', '')
        return sendJson(res, 200, { Parameter: answer(name, value) }, { contentType: AMZ_JSON })
      }
      const found = names.filter(name => lookup(name) !== undefined)
      sendJson(res, 200, {
        Parameters: found.map(name => answer(name, lookup(name)!)),
        InvalidParameters: names.filter(name => lookup(name) === undefined),
      }, { contentType: AMZ_JSON })
    }
    catch (error) {
      if (error instanceof PayloadTooLargeError) return sendError(res, new AwsJsonError('ValidationException', `Request body exceeds ${error.limit} bytes`, 413))
      if (error instanceof AwsJsonError) return sendError(res, error)
      throw error
    }
  }

  return {
    handle: guard(route, res => sendError(res, new AwsJsonError('InternalServerError', 'Internal error', 500))),
    setParameters(next) {
      parameters = next
    },
    lookup,
  }
}

function requiredName(body: Body): string {
  const name = body.Name
  if (typeof name !== 'string' || !name) throw new AwsJsonError('ValidationException', '1 validation error detected: Value null at \'name\' failed to satisfy constraint: Member must not be null')
  return name
}

function stringList(body: Body, field: string): string[] {
  const value = body[field]
  if (!Array.isArray(value) || value.length === 0 || value.length > 10 || !value.every(item => typeof item === 'string')) {
    throw new AwsJsonError('ValidationException', `1 validation error detected: Value at '${field.toLowerCase()}' failed to satisfy constraint: Member must have length between 1 and 10`)
  }
  return value as string[]
}
