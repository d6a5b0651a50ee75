/**
 * The backend's functions, run locally from the bundles synth produced (./runtime.ts runs each in
 * a process of its own). This module gives each the environment the cloud would: its own
 * variables, `AWS_REGION`, credentials for its role issued by the sandbox's IAM, and
 * `AWS_ENDPOINT_URL_*` pointing the AWS SDK at the local services, so the docs' patterns
 * (AdminAddUserToGroup in a trigger, secrets and resource references read from SSM by the bundle's
 * own start-up code) run unchanged. A secret the function needs but nobody set fails its calls
 * with the secret's name, before the handler runs.
 */
import { randomUUID } from 'node:crypto'
import type { CloudAssembly } from '../assembly'
import { systemClock, type Clock } from '../core/clock'
import type { IssuedCredentials, SandboxIam } from '../iam'
import { secretNameOf, type ParameterStore } from '../ssm'
import { findFunction, functionDefinitions, type FunctionDefinition } from './definitions'
import { createLambdaRuntime, runtimeVersionNote, type InvokeResult, type LambdaError, type LambdaFunctionConfig, type LambdaRuntime } from './runtime'
import { parseSchedule, scheduleDefinitions, startSchedules, type ScheduleDefinition } from './schedules'

export type { FunctionDefinition } from './definitions'
export type { InvokeResult } from './runtime'

export interface FunctionEndpoints {
  /** The user pool's port: Cognito, Cognito Identity and SSM answer there. */
  userPoolEndpoint: string
  /** `127.0.0.1:<port>` of the local S3 (TLS). */
  storageEndpoint: string
  graphqlUrl: string
  certificatePath: string
}

export interface LocalFunctions {
  /**
   * Runs a function by ARN, name or friendly name; an unknown one is an error result, not a throw.
   * `caller` is what its invocation record says called it (told from the event's shape when not given).
   */
  invoke(reference: string, event: unknown, caller?: string): Promise<InvokeResult>
  has(reference: string): boolean
  definitions(): readonly FunctionDefinition[]
  /** Each function as the console shows it: its settings, schedules with their next run, and the names (never the values) of its secrets. */
  summaries(): FunctionSummary[]
  /** A function's last invocations (at most INVOCATIONS_KEPT), newest first; one in progress has no outcome yet. */
  invocations(reference: string): readonly Invocation[]
  /** Runs one of the function's schedules now, with the event the schedule sends; undefined when it has no such schedule. */
  runSchedule(reference: string, scheduleId: string, caller: string): Promise<InvokeResult | undefined>
  /** A new backend: functions whose bundle or settings changed start cold. */
  reload(assembly: CloudAssembly): Promise<void>
  close(): Promise<void>
}

/** One call of a function, as the console shows it. Kept in memory only. */
export interface Invocation {
  requestId: string
  /** 'Cognito trigger PostConfirmation', 'AppSync resolver Query.summary', 'Lambda Invoke API by <role>', 'console'... */
  caller: string
  /** When it was asked for (ISO 8601). */
  startedAt: string
  /** The event as indented JSON, cut at SHOWN_CHARS. */
  event: string
  /** What it came to (the result as indented JSON, cut at SHOWN_CHARS); undefined while it runs. */
  outcome?: { ok: true, result: string } | { ok: false, error: LambdaError }
  durationMs?: number
  /** The lines it logged (the terminal's, without the `[<name>]` prefix), at most LOG_LINES_KEPT. */
  logs: string[]
}

export interface FunctionSummary {
  name: string
  functionName: string
  runtime: string
  handler: string
  timeoutSeconds: number
  memoryMB: number
  /** The `secret()`s it reads, by name, and whether a value is set offline (`npm run sandbox:secret`). */
  secrets: Array<{ name: string, variable: string, set: boolean }>
  schedules: ScheduleSummary[]
}

export interface ScheduleSummary {
  id: string
  expression: string
  timeZone: string
  /** The start of the next minute it fires in, within NEXT_RUN_HORIZON_MINUTES. */
  nextRun?: Date
  /** Why it does not fire offline. */
  problem?: string
}

/** Issued credentials are renewed this long before they expire (the process restarts with them). */
const RENEW_BEFORE_MS = 5 * 60_000

export const INVOCATIONS_KEPT = 50
/** Events and results are cut here: the console shows them, the function got them whole. */
const SHOWN_CHARS = 16 * 1024
const LOG_LINES_KEPT = 500
const LOG_LINE_CHARS = 4096

/** An event or result as the console shows it: indented JSON, cut at SHOWN_CHARS. */
function shown(value: unknown): string {
  let text: string
  try {
    text = JSON.stringify(value, null, 2) ?? 'undefined'
  }
  catch {
    return '(not expressible as JSON)'
  }
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}\n… ${text.length - SHOWN_CHARS} more characters` : text
}

/**
 * Who sent an event, told by its shape: the sandbox's services each build the event their AWS
 * service sends (../cognito/triggers.ts, the data API's Lambda resolvers, ../rest, ../storage).
 */
export function callerOf(event: unknown): string {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return 'a direct call'
  const fields = event as Record<string, unknown>
  if (typeof fields.triggerSource === 'string' && typeof fields.userPoolId === 'string') {
    // PostConfirmation_ConfirmSignUp, TokenGeneration_Authentication (the PreTokenGeneration trigger)...
    const kind = fields.triggerSource.split('_')[0]!
    return `Cognito trigger ${kind === 'TokenGeneration' ? 'PreTokenGeneration' : kind}`
  }
  const record = Array.isArray(fields.Records) ? fields.Records[0] as { eventSource?: unknown, eventName?: unknown, s3?: { bucket?: { name?: unknown } } } | undefined : undefined
  if (record?.eventSource === 'aws:s3') return `S3 notification ${String(record.eventName)} in ${String(record.s3?.bucket?.name)}`
  if (typeof fields.httpMethod === 'string' && fields.requestContext) return `API Gateway ${fields.httpMethod} ${String(fields.resource ?? fields.path)}`
  if (typeof fields.typeName === 'string' && typeof fields.fieldName === 'string') return `AppSync resolver ${fields.typeName}.${fields.fieldName}`
  if (fields.source === 'aws.events' && fields['detail-type'] === 'Scheduled Event') return 'EventBridge schedule'
  return 'a direct call'
}

export interface CreateFunctionsOptions {
  assembly: CloudAssembly
  iam: SandboxIam
  parameters: ParameterStore
  endpoints: FunctionEndpoints
  /** Bare imports a bundle left external (Lambda provides `@aws-sdk/*`) resolve from here: the project. */
  projectDir: string
  log: (line: string) => void
  runtime?: LambdaRuntime
  /** What schedules fire by (the system clock unless a test moves its own). */
  clock?: Clock
}

export function createFunctions(options: CreateFunctionsOptions): LocalFunctions {
  const { iam, parameters, endpoints, projectDir } = options
  const runtime = options.runtime ?? createLambdaRuntime({ log: options.log })
  const region = options.assembly.ids.region
  /** The cloud URL of the data API, as synth's references name it, and the local one that stands in. */
  const cloudGraphqlUrl = `https://${options.assembly.ids.apiId}.appsync-api.${region}.amazonaws.com/graphql`
  let definitions = functionDefinitions(options.assembly)
  const credentials = new Map<string, IssuedCredentials>()
  const versionNote = runtimeVersionNote(definitions.map(definition => definition.runtime))
  if (versionNote) options.log(versionNote)

  const localize = (value: string) => value === cloudGraphqlUrl ? endpoints.graphqlUrl : value
  const readParameters = (assembly: CloudAssembly) => {
    const found = new Map<string, string>()
    for (const parameter of assembly.resourcesOfType('AWS::SSM::Parameter')) {
      try {
        const name = assembly.property(parameter.stack, parameter.logicalId, 'Name')
        const value = assembly.property(parameter.stack, parameter.logicalId, 'Value')
        if (typeof name === 'string' && typeof value === 'string') found.set(name, localize(value))
      }
      catch {
        // A parameter whose value the sandbox cannot evaluate is not served: the function reads it as missing.
      }
    }
    parameters.setParameters(found)
  }
  readParameters(options.assembly)

  async function credentialsFor(definition: FunctionDefinition): Promise<IssuedCredentials | undefined> {
    if (!definition.roleArn) return undefined
    const held = credentials.get(definition.arn)
    if (held && held.roleArn === definition.roleArn && held.expiresAt - Date.now() > RENEW_BEFORE_MS) return held
    const issued = await iam.issue({ roleArn: definition.roleArn, sessionName: definition.functionName })
    credentials.set(definition.arn, issued)
    return issued
  }

  /** The secrets a function reads (by name, with the variable each fills), and whether each is set offline. */
  function secretsOf(definition: FunctionDefinition): FunctionSummary['secrets'] {
    let config: Record<string, { path?: string, sharedPath?: string }>
    try {
      config = JSON.parse(definition.environment.AMPLIFY_SSM_ENV_CONFIG ?? '{}') as typeof config
    }
    catch {
      return []
    }
    const secrets: FunctionSummary['secrets'] = []
    for (const [variable, { path, sharedPath }] of Object.entries(config)) {
      const name = path ? secretNameOf(path) : undefined
      if (!name) continue
      secrets.push({ name, variable, set: parameters.lookup(path!) !== undefined || (sharedPath !== undefined && parameters.lookup(sharedPath) !== undefined) })
    }
    return secrets
  }

  async function configOf(definition: FunctionDefinition): Promise<LambdaFunctionConfig> {
    const issued = await credentialsFor(definition)
    const storage = `https://${endpoints.storageEndpoint}`
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(definition.environment).map(([key, value]) => [key, localize(value)])),
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      ...(issued ? { AWS_ACCESS_KEY_ID: issued.accessKeyId, AWS_SECRET_ACCESS_KEY: issued.secretAccessKey, AWS_SESSION_TOKEN: issued.sessionToken } : {}),
      // The AWS SDK's service-specific endpoints (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_SSM: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_LAMBDA: endpoints.userPoolEndpoint,
      AWS_ENDPOINT_URL_S3: storage,
      NODE_EXTRA_CA_CERTS: endpoints.certificatePath,
    }
    return {
      name: definition.name,
      functionName: definition.functionName,
      codeDir: definition.codeDir!,
      handler: definition.handler,
      timeoutSeconds: definition.timeoutSeconds,
      memoryMB: definition.memoryMB,
      env,
      resolveFrom: projectDir,
    }
  }

  const failure = (errorType: string, errorMessage: string): InvokeResult => ({ ok: false, error: { errorType, errorMessage }, durationMs: 0 })

  async function run(definition: FunctionDefinition, event: unknown, requestId: string, onLog: (line: string) => void): Promise<InvokeResult> {
    if (!definition.runtime.startsWith('nodejs')) return failure('Runtime.Unsupported', `Function ${definition.name} uses ${definition.runtime || 'an unknown runtime'}: the offline sandbox runs Node.js functions only`)
    if (!definition.codeDir) return failure('Runtime.CodeNotFound', `Function ${definition.name} has no bundle in the synthesized backend`)
    const missing = secretsOf(definition).find(secret => !secret.set)
    if (missing) {
      return failure('SecretNotSet', `Function ${definition.name} needs secret ${missing.name} (for ${missing.variable}), which is not set offline: npm run sandbox:secret -- set ${missing.name}`)
    }
    return runtime.invoke(await configOf(definition), event, { requestId, onLog })
  }

  /** The last invocations of each function, by its name, newest first. */
  const recent = new Map<string, Invocation[]>()

  async function invoke(reference: string, event: unknown, caller = callerOf(event)): Promise<InvokeResult> {
    const definition = findFunction(definitions, reference)
    if (!definition) return failure('ResourceNotFoundException', `Function not found: ${reference}`)
    const invocation: Invocation = { requestId: randomUUID(), caller, startedAt: new Date().toISOString(), event: shown(event), logs: [] }
    const kept = recent.get(definition.name) ?? []
    kept.unshift(invocation)
    kept.length = Math.min(kept.length, INVOCATIONS_KEPT)
    recent.set(definition.name, kept)
    let unkept = 0
    const onLog = (line: string) => {
      if (invocation.logs.length < LOG_LINES_KEPT) invocation.logs.push(line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}…` : line)
      else unkept++
    }
    try {
      const result = await run(definition, event, invocation.requestId, onLog)
      invocation.durationMs = result.durationMs
      invocation.outcome = result.ok ? { ok: true, result: shown(result.payload ?? null) } : { ok: false, error: result.error }
      return result
    }
    catch (error) {
      invocation.outcome = { ok: false, error: { errorType: 'Sandbox.Closed', errorMessage: (error as Error).message } }
      throw error
    }
    finally {
      if (unkept) invocation.logs.push(`… ${unkept} more lines: the sandbox's terminal has them all`)
    }
  }

  const clock = options.clock ?? systemClock
  // The runner counts rate(...) schedules from the minute it starts (./schedules.ts): so does the next run shown.
  const schedulesStartedAt = new Date(Math.floor(clock.now().getTime() / 60_000) * 60_000)
  let scheduled = scheduleDefinitions(options.assembly)
  const nextRuns = new WeakMap<ScheduleDefinition, { found: Pick<ScheduleSummary, 'nextRun' | 'problem'>, until: number }>()

  function nextRunOf(schedule: ScheduleDefinition): Pick<ScheduleSummary, 'nextRun' | 'problem'> {
    const now = clock.now().getTime()
    const known = nextRuns.get(schedule)
    if (known && now < known.until) return known.found
    let found: Pick<ScheduleSummary, 'nextRun' | 'problem'> = {}
    let until = now + 60 * 60_000
    try {
      // Kept until that run has passed (or an hour, when there is none within a year).
      const at = parseSchedule(schedule.expression, schedule.timeZone).next(new Date(now), schedulesStartedAt)
      if (at) {
        found = { nextRun: at }
        until = at.getTime()
      }
    }
    catch (error) {
      found = { problem: (error as Error).message }
      until = Number.POSITIVE_INFINITY
    }
    nextRuns.set(schedule, { found, until })
    return found
  }

  const schedules = startSchedules({
    log: options.log,
    clock: options.clock,
    fire(target, event, schedule) {
      invoke(target, event, `schedule ${schedule.expression}`).then((result) => {
        const name = findFunction(definitions, target)?.name ?? target
        if (!result.ok) options.log(`[${name}] schedule ${schedule.expression} failed: ${result.error.errorType}: ${result.error.errorMessage}`)
      }, () => {})
    },
  })
  schedules.update(scheduled)

  const schedulesOf = (definition: FunctionDefinition) => scheduled.filter(schedule => findFunction(definitions, schedule.target) === definition)

  return {
    has: reference => findFunction(definitions, reference) !== undefined,
    definitions: () => definitions,
    invoke,
    summaries: () => definitions.map(definition => ({
      name: definition.name,
      functionName: definition.functionName,
      runtime: definition.runtime,
      handler: definition.handler,
      timeoutSeconds: definition.timeoutSeconds,
      memoryMB: definition.memoryMB,
      secrets: secretsOf(definition),
      schedules: schedulesOf(definition).map(schedule => ({ id: schedule.id, expression: schedule.expression, timeZone: schedule.timeZone, ...nextRunOf(schedule) })),
    })),
    invocations(reference) {
      const definition = findFunction(definitions, reference)
      return definition ? recent.get(definition.name) ?? [] : []
    },
    async runSchedule(reference, scheduleId, caller) {
      const definition = findFunction(definitions, reference)
      const schedule = definition && schedulesOf(definition).find(s => s.id === scheduleId)
      if (!schedule) return undefined
      return invoke(schedule.target, schedule.event(clock.now()), caller)
    },
    async reload(assembly) {
      definitions = functionDefinitions(assembly)
      readParameters(assembly)
      const current = await Promise.all(definitions.filter(fn => fn.codeDir).map(configOf))
      await runtime.retain(current)
      scheduled = scheduleDefinitions(assembly)
      schedules.update(scheduled)
    },
    async close() {
      schedules.close()
      await runtime.close()
    },
  }
}
