/**
 * The command line of `npm run sandbox` and `npm run dev`: one parser, so both read the same flags
 * the same way, and `npm run dev` hands the rest to `nuxi dev` untouched.
 */
import { describe, expect, it } from 'vitest'
import { parseCommandLine, usage, UsageError } from '../../../sandbox/commands/args'

const noEnv = {}
const parse = (command: 'sandbox' | 'dev', argv: string[], env: NodeJS.ProcessEnv = noEnv) => parseCommandLine(command, argv, env)

describe.each(['sandbox', 'dev'] as const)('npm run %s', (command) => {
  it('defaults to watching, keeping data, and the sandbox\'s default ports', () => {
    expect(parse(command, [])).toEqual({ help: false, sandbox: { reset: false, watch: true, ports: {} }, nuxi: [] })
  })

  it('reads its flags, with the value after the flag or after =', () => {
    expect(parse(command, ['--reset', '--no-watch', '--auth-port', '3101', '--data-port=3102', '--storage-port', '3103', '--rest-port=3104']).sandbox)
      .toEqual({ reset: true, watch: false, ports: { auth: 3101, data: 3102, storage: 3103, rest: 3104 } })
    expect(parse(command, ['--auth-port', '0']).sandbox.ports.auth).toBe(0)
    expect(parse(command, ['--auth-port=1', '--auth-port=2']).sandbox.ports.auth).toBe(2)
  })

  it('falls back to SANDBOX_AUTH_PORT / SANDBOX_DATA_PORT / SANDBOX_STORAGE_PORT / SANDBOX_REST_PORT, which a flag overrides', () => {
    const env = { SANDBOX_AUTH_PORT: '4001', SANDBOX_DATA_PORT: '4002', SANDBOX_STORAGE_PORT: '4003', SANDBOX_REST_PORT: '4004' }
    expect(parse(command, [], env).sandbox.ports).toEqual({ auth: 4001, data: 4002, storage: 4003, rest: 4004 })
    expect(parse(command, ['--storage-port=5003'], env).sandbox.ports.storage).toBe(5003)
    expect(parse(command, ['--rest-port', '5004'], env).sandbox.ports.rest).toBe(5004)
    expect(parse(command, ['--data-port', '5002'], env).sandbox.ports).toMatchObject({ auth: 4001, data: 5002 })
    expect(parse(command, [], { SANDBOX_AUTH_PORT: '' }).sandbox.ports.auth).toBeUndefined()
  })

  it.each([
    [['--auth-port', 'x'], '--auth-port must be a port number (0-65535), got "x"'],
    [['--data-port=65536'], '--data-port must be a port number (0-65535), got "65536"'],
    [['--auth-port', '-1'], '--auth-port must be a port number (0-65535), got "-1"'],
    [['--auth-port', '1e3'], '--auth-port must be a port number (0-65535), got "1e3"'],
    [['--auth-port'], '--auth-port needs a port number'],
    [['--rest-port', 'x'], '--rest-port must be a port number (0-65535), got "x"'],
    [['--reset=yes'], '--reset takes no value'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parse(command, argv)).toThrow(UsageError)
    expect(() => parse(command, argv)).toThrow(new UsageError(message))
  })

  it('names the variable a bad port came from', () => {
    expect(() => parse(command, [], { SANDBOX_DATA_PORT: 'abc' })).toThrow('SANDBOX_DATA_PORT must be a port number (0-65535), got "abc"')
  })

  it('answers --help whatever else is wrong', () => {
    expect(parse(command, ['--auth-port', 'x', '--help']).help).toBe(true)
    expect(parse(command, ['--help'], { SANDBOX_AUTH_PORT: 'x' }).help).toBe(true)
  })
})

describe('npm run sandbox', () => {
  it('refuses what is not its own', () => {
    expect(() => parse('sandbox', ['--port', '3001'])).toThrow(new UsageError('Unknown option \'--port\''))
    expect(() => parse('sandbox', ['extra'])).toThrow(new UsageError('Unexpected argument \'extra\''))
    expect(() => parse('sandbox', ['--', '--reset'])).toThrow(new UsageError('Unknown option \'--reset\''))
  })
})

describe('npm run dev', () => {
  it('passes every other argument to nuxi dev, in order', () => {
    const args = parse('dev', ['--port', '3001', '--reset', '--host=0.0.0.0', '-o', '--auth-port', '3101', '--dotenv', '.env.local', 'app'])
    expect(args.nuxi).toEqual(['--port', '3001', '--host=0.0.0.0', '-o', '--dotenv', '.env.local', 'app'])
    expect(args.sandbox).toMatchObject({ reset: true, ports: { auth: 3101 } })
  })

  it('passes everything after -- as it is, its own flags included', () => {
    const args = parse('dev', ['--no-watch', '--port', '3001', '--', '--reset', '--host', 'x'])
    expect(args.nuxi).toEqual(['--port', '3001', '--reset', '--host', 'x'])
    expect(args.sandbox).toMatchObject({ reset: false, watch: false })
  })

  it('keeps short option groups whole', () => {
    expect(parse('dev', ['-abc', '--reset', '-p', '3000']).nuxi).toEqual(['-abc', '-p', '3000'])
  })
})

describe('usage', () => {
  it('lists every flag with the default ports and their variables, for both commands', () => {
    for (const command of ['sandbox', 'dev'] as const) {
      const text = usage(command)
      expect(text).toContain(`Usage: npm run ${command} -- [options]`)
      for (const flag of ['--reset', '--no-watch', '--auth-port <n>', '--data-port <n>', '--storage-port <n>', '--rest-port <n>', '--help']) expect(text).toContain(`  ${flag} `)
      expect(text).toContain('(default 20001, env SANDBOX_AUTH_PORT)')
      expect(text).toContain('(default 20002, env SANDBOX_DATA_PORT)')
      expect(text).toContain('(default 20003, env SANDBOX_STORAGE_PORT)')
      expect(text).toContain('(default 20004, env SANDBOX_REST_PORT)')
    }
  })

  it('tells npm run dev users where other arguments go', () => {
    expect(usage('dev')).toContain('Anything else goes to `nuxi dev`')
    expect(usage('sandbox')).not.toContain('nuxi')
  })
})
