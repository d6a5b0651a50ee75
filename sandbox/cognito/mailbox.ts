/**
 * The sandbox's mailbox: the codes the local user pool would have e-mailed, as the developer sees
 * them in the terminal (sandbox/terminal.ts). Scripts and tests read them as JSON at
 * `/__sandbox/messages` (http.ts).
 */
import type { SandboxMessage } from '../types'

/** What each kind of code is for, in the terminal's and the page's words. */
export const CODE_PURPOSE: Record<SandboxMessage['kind'], string> = {
  'sign-up': 'sign-up',
  'forgot-password': 'password-reset',
  'verify-attribute': 'verification',
}
