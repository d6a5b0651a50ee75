/**
 * The command line of `npm run sandbox` (sandbox/commands/sandbox.ts) and `npm run dev` (scripts/dev.ts): one
 * flag table, one parser and one usage text, so the two commands cannot drift apart. `npm run dev`
 * hands every argument that is not the sandbox's, in order, to `nuxi dev`.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { PORTS, type SandboxOptions } from '../index'
import type { OwnPort } from '../core/service'

export type Command = 'sandbox' | 'dev'

/** A mistake on the command line: printed with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError'
}

interface Flag {
  /** `<n>` for a flag that takes a value. */
  value?: string
  help: string
}

/** Each service's port makes its flag and environment variable: `--auth-port`, `SANDBOX_AUTH_PORT`. */
const envOf = (port: OwnPort) => `SANDBOX_${port.name.toUpperCase()}_PORT`
const FLAGS: Record<string, Flag> = {
  'reset': { help: 'wipe the offline sandbox\'s users, items, identities, credentials (new admin keys) and files first' },
  'no-watch': { help: 'do not reload the backend when amplify/ changes' },
  'from': { value: '<dir>', help: 'start from a snapshot (the console\'s Export, or npm run sandbox:export), replacing the state' },
  ...Object.fromEntries(PORTS.map(port => [`${port.name}-port`, { value: '<n>', help: `${port.serves} port (default ${port.default}, env ${envOf(port)})` }])),
  'help': { help: 'this text' },
}

const FLAG_LIST: Array<[string, Flag]> = Object.entries(FLAGS)

export interface CommandLine {
  help: boolean
  /** For `startSandbox`; an absent port is its default. */
  sandbox: Required<Pick<SandboxOptions, 'reset' | 'watch' | 'ports'>> & Pick<SandboxOptions, 'synthCacheDir' | 'synthCacheEntries' | 'from'>
  /** `npm run dev` only: the arguments for `nuxi dev`, in the order given. */
  nuxi: string[]
}

/**
 * Reads `argv` (without node and the script). Ports come from the flags, else from each port's
 * environment variable (SANDBOX_AUTH_PORT...) in `env`. `--help` wins over any mistake; otherwise a
 * mistake throws `UsageError`. After `--`, everything goes to `nuxi dev` as it is.
 */
export function parseCommandLine(command: Command, argv: string[], env: NodeJS.ProcessEnv = process.env): CommandLine {
  // Unknown flags are nuxi's: non-strict parsing keeps them as tokens instead of failing on them.
  const { tokens } = parseArgs({ args: argv, options: parseOptions(), strict: false, allowPositionals: true, tokens: true })
  const given: Partial<Record<string, string>> = {}
  const ours = new Set<number>()
  const mistakes: string[] = []
  let end = argv.length
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      end = token.index
      break
    }
    if (token.kind !== 'option' || !Object.hasOwn(FLAGS, token.name)) continue
    const name = token.name
    const flag = FLAGS[name]!
    ours.add(token.index)
    if (token.value !== undefined && !token.inlineValue) ours.add(token.index + 1)
    if (!flag.value && token.inlineValue) mistakes.push(`${token.rawName} takes no value`)
    else if (flag.value && token.value === undefined) mistakes.push(`${token.rawName} needs ${flag.value === '<n>' ? 'a port number' : 'a folder'}`)
    // The last one given wins.
    else given[name] = token.value ?? ''
  }
  const others = [...argv.slice(0, end).filter((_, index) => !ours.has(index)), ...argv.slice(end + 1)]
  const args: CommandLine = {
    help: given.help !== undefined,
    sandbox: { reset: given.reset !== undefined, watch: given['no-watch'] === undefined, ports: {} },
    nuxi: command === 'dev' ? others : [],
  }
  const [other] = others
  if (command === 'sandbox' && other !== undefined) {
    mistakes.push(other.startsWith('-') ? `Unknown option '${other}'` : `Unexpected argument '${other}'`)
  }
  if (args.help) return args
  if (mistakes.length) throw new UsageError(mistakes[0])
  if (given.from !== undefined) args.sandbox.from = resolve(given.from)
  args.sandbox.ports = Object.fromEntries(PORTS.map(own => [own.name, port(`--${own.name}-port`, given[`${own.name}-port`]) ?? port(envOf(own), env[envOf(own)])]))
  // A synth cache shared by several checkouts (or test runs): SANDBOX_SYNTH_CACHE and how many backends it keeps.
  if (env.SANDBOX_SYNTH_CACHE) args.sandbox.synthCacheDir = resolve(env.SANDBOX_SYNTH_CACHE)
  const entries = env.SANDBOX_SYNTH_CACHE_ENTRIES
  if (entries) {
    if (!/^\d{1,4}$/.test(entries)) throw new UsageError(`SANDBOX_SYNTH_CACHE_ENTRIES must be a number of backends, got "${entries}"`)
    args.sandbox.synthCacheEntries = Number(entries)
  }
  return args
}

/** The help text of `command`. */
export function usage(command: Command): string {
  const flags = FLAG_LIST.map(([name, flag]) => `  ${`--${name}${flag.value ? ` ${flag.value}` : ''}`.padEnd(22)}${flag.help}`)
  const environment = [
    '',
    'SANDBOX_SYNTH_CACHE=<dir> keeps synthesized backends there instead of in .amplify/sandbox (one cache',
    'for several checkouts), SANDBOX_SYNTH_CACHE_ENTRIES=<n> keeps that many besides those in use (default 2).',
  ]
  if (command === 'sandbox') return ['Usage: npm run sandbox -- [options]', '', ...flags, ...environment].join('\n')
  return [
    'Usage: npm run dev -- [options] [nuxi dev options]',
    '',
    ...flags,
    ...environment,
    '',
    'Anything else goes to `nuxi dev` (e.g. --port 3001), which listens on 127.0.0.1:3000 by default;',
    'after `--`, everything does. The backend is the one amplify_outputs.json (or the file env',
    'AMPLIFY_OUTPUTS names) points at.',
  ].join('\n')
}

/** An empty value is no value (the default applies); anything else must be a whole port number. */
function port(source: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!/^\d{1,5}$/.test(value) || n > 65_535) throw new UsageError(`${source} must be a port number (0-65535), got "${value}"`)
  return n
}

function parseOptions() {
  return Object.fromEntries(FLAG_LIST.map(([name, flag]) => [name, { type: flag.value ? 'string' as const : 'boolean' as const }]))
}
