/**
 * What the sandbox's commands print that a developer acts on: a code the user pool "sent", set apart
 * from the log lines around it, and the command the ready banner gives for a wipe.
 */
import { describe, expect, it } from 'vitest'
import { startCommand } from '../../../sandbox/commands/sandbox'
import { formatMessage } from '../../../sandbox/commands/terminal'
import type { SandboxMessage } from '../../../sandbox/core/types'

const message = (kind: SandboxMessage['kind']): SandboxMessage =>
  ({ kind, to: 'a@example.com', sub: 'sub-1', code: '123456', subject: 'Your code', body: 'Your code is 123456', sentAt: '2026-12-06T10:00:00.000Z' })

describe('a code in the terminal', () => {
  it('comes after a blank line, with what it is for, the address and the code in one run of text', () => {
    expect(formatMessage(message('sign-up'), false)).toBe('\n✉  sign-up code for a@example.com: 123456')
    expect(formatMessage(message('forgot-password'), false)).toBe('\n✉  password-reset code for a@example.com: 123456')
    expect(formatMessage(message('verify-attribute'), false)).toBe('\n✉  verification code for a@example.com: 123456')
    expect(formatMessage({ ...message('mfa-sms'), to: '+15555550100', medium: 'SMS' }, false)).toBe('\n✉  SMS sign-in code for +15555550100: 123456')
    expect(formatMessage(message('mfa-email'), false)).toBe('\n✉  e-mail sign-in code for a@example.com: 123456')
  })

  it('is bold and coloured as a whole in a terminal, so searching its text still finds it', () => {
    const coloured = formatMessage(message('sign-up'), true)
    expect(coloured).toBe('\n\x1B[1;36m✉  sign-up code for a@example.com: 123456\x1B[0m')
    expect(coloured).toContain('sign-up code for a@example.com: 123456')
  })
})

describe('the command the ready banner names', () => {
  it('is the npm script that started the sandbox, npm run sandbox otherwise', () => {
    expect(startCommand({ npm_lifecycle_event: 'dev', npm_command: 'run' })).toBe('npm run dev')
    expect(startCommand({ npm_lifecycle_event: 'sandbox', npm_command: 'run-script' })).toBe('npm run sandbox')
    expect(startCommand({ npm_lifecycle_event: 'dev:offline', npm_command: 'run' })).toBe('npm run dev:offline')
    // npx and a bare node name no script to run again.
    expect(startCommand({ npm_lifecycle_event: 'npx', npm_command: 'exec' })).toBe('npm run sandbox')
    expect(startCommand({})).toBe('npm run sandbox')
    expect(startCommand({ npm_lifecycle_event: 'dev; rm -rf ~', npm_command: 'run' })).toBe('npm run sandbox')
  })
})
