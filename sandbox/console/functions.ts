/**
 * The console's Functions: each function of the backend with its recent invocations (who called
 * it, the event, the result or error, the duration and the lines it logged), a form that invokes
 * it with a JSON event, its schedules with their next run and a "Run now", and the names of the
 * secrets it reads. Never a secret's value: those are resolved into the function's environment,
 * which no page shows.
 */
import { INVOCATIONS_KEPT, type FunctionSummary, type Invocation, type InvokeResult, type LocalFunctions } from '../functions'
import { escapeHtml } from './pages'
import { FormError, readForm, redirect, type Panel } from './panel'

/** An event is at most what Lambda's Invoke API takes (6 MB), and a form URL-encodes it. */
const EVENT_FORM_LIMIT = 8 * 1024 * 1024
/** While an invocation runs, its page reloads itself this often (no script runs in the console). */
const RUNNING_REFRESH_SECONDS = 2

const STYLE = `
.functions li, .invocations li { display: grid; gap: .35rem; }
.schedules { margin: 0; }
.schedules li { border: 0; padding: 0; margin: .25rem 0; display: flex; flex-wrap: wrap; gap: .35rem; align-items: center; }
pre { font: .8125rem/1.4 ui-monospace, monospace; background: #f6f8fa; border-radius: 6px; padding: .5rem .75rem; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 24rem; overflow: auto; }
textarea { width: 100%; font: .875rem/1.4 ui-monospace, monospace; padding: .5rem; border: 1px solid #8c959f; border-radius: 6px; }
textarea:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.invoke { display: grid; gap: .5rem; justify-items: start; }
.problem { border-left: 4px solid #a40e26; padding: .25rem .75rem; }
.invocations details { display: block; }
.invocations summary { color: inherit; }
@media (prefers-color-scheme: dark) { pre { background: #161b22; } textarea { background: #0d1117; color: inherit; border-color: #30363d; } }
`

export const functionsPanel: Panel = {
  path: '/functions',
  name: 'Functions',
  get({ subpath, query, sources, page, refuse }) {
    const functions = sources.service('functions').functions
    if (!subpath) return page(200, 'Functions', listContent(functions, query.get('done') ?? undefined), { style: STYLE })
    const name = functionNameOf(subpath, '')
    const summary = name === undefined ? undefined : functions.summaries().find(fn => fn.name === name)
    if (!summary) return refuse(404, `No function at /functions${subpath.slice(0, 100)}.`)
    const invocations = functions.invocations(summary.name)
    const running = invocations.some(invocation => !invocation.outcome)
    page(200, summary.name, functionContent(summary, invocations, { event: lastConsoleEvent(invocations), notice: query.get('done') ?? undefined }), {
      style: STYLE,
      ...(running ? { refreshSeconds: RUNNING_REFRESH_SECONDS } : {}),
    })
  },
  /**
   * `POST /functions/<name>/invoke` (event: JSON) and `POST /functions/<name>/run` (schedule: its
   * id): the invocation, then the function's page with it on top. Bad JSON is answered 400 with
   * the form as it was sent, so nothing typed is lost.
   */
  async post({ req, res, subpath, sources, page, refuse }) {
    const functions = sources.service('functions').functions
    const action = subpath.endsWith('/invoke') ? 'invoke' : subpath.endsWith('/run') ? 'run' : undefined
    const name = action && functionNameOf(subpath, `/${action}`)
    const summary = name === undefined ? undefined : functions.summaries().find(fn => fn.name === name)
    if (!action || !summary) return refuse(404, `Nothing to post at /functions${subpath.slice(0, 100)}.`)
    const back = (result: InvokeResult) => redirect(res, `${functionPath(summary.name)}?${new URLSearchParams({ done: outcomeNotice(summary.name, result) })}`)
    if (action === 'run') {
      const form = await readForm(req)
      const schedule = summary.schedules.find(s => s.id === form.get('schedule'))
      if (!schedule) return refuse(400, `${summary.name} has no schedule ${(form.get('schedule') ?? '').slice(0, 100)}.`)
      const result = await functions.runSchedule(summary.name, schedule.id, `console: Run now of ${schedule.expression}`)
      if (!result) return refuse(404, `${summary.name} has no schedule ${schedule.id} any more.`)
      return back(result)
    }
    const form = await readForm(req, EVENT_FORM_LIMIT).catch((error: unknown) => {
      if (error instanceof FormError && error.status === 413) throw new FormError(413, 'That event is too large: Lambda takes at most 6 MB.')
      throw error
    })
    const text = form.get('event') ?? ''
    let event: unknown
    try {
      event = text.trim() === '' ? {} : JSON.parse(text)
    }
    catch (error) {
      const invocations = functions.invocations(summary.name)
      return page(400, summary.name, functionContent(summary, invocations, { event: text, eventError: `That is not JSON: ${(error as Error).message}` }), { style: STYLE })
    }
    back(await functions.invoke(summary.name, event, 'console'))
  },
}

const functionPath = (name: string) => `/functions/${encodeURIComponent(name)}`

/** The function's name in `/<name><suffix>`; undefined when the path is not of that shape. */
function functionNameOf(subpath: string, suffix: string): string | undefined {
  if (!subpath.startsWith('/') || !subpath.endsWith(suffix)) return undefined
  const encoded = subpath.slice(1, subpath.length - suffix.length)
  if (!encoded || encoded.includes('/')) return undefined
  try {
    return decodeURIComponent(encoded)
  }
  catch {
    return undefined
  }
}

/** What an invocation came to, for the notice on the page it goes back to. */
function outcomeNotice(name: string, result: InvokeResult): string {
  const took = `${Math.round(result.durationMs)} ms`
  return result.ok ? `Invoked ${name}: it answered in ${took}.` : `Invoked ${name}: it failed after ${took} with ${result.error.errorType}: ${result.error.errorMessage}`
}

/** The event last invoked from the console, to invoke again; `{}` when there is none (or it was cut). */
function lastConsoleEvent(invocations: readonly Invocation[]): string {
  const last = invocations.find(invocation => invocation.caller === 'console')?.event
  if (last === undefined) return '{}'
  try {
    JSON.parse(last)
    return last
  }
  catch {
    return '{}'
  }
}

const utc = (date: Date | string, seconds = true) => (typeof date === 'string' ? date : date.toISOString()).replace('T', ' ').replace(seconds ? /\.\d+Z$/ : /:\d\d\.\d+Z$/, ' UTC')
const time = (date: Date | string, seconds = true) => `<time datetime="${escapeHtml(typeof date === 'string' ? date : date.toISOString())}">${escapeHtml(utc(date, seconds))}</time>`

function status(invocation: Invocation | undefined): string {
  if (!invocation) return '<span class="state pending">not called yet</span>'
  if (!invocation.outcome) return '<span class="state pending">running</span>'
  return invocation.outcome.ok ? '<span class="state">ok</span>' : '<span class="state off">failed</span>'
}

const settings = (fn: FunctionSummary) => `<div class="meta">${escapeHtml([fn.runtime || 'unknown runtime', fn.handler, `${fn.timeoutSeconds} s`, `${fn.memoryMB} MB`].join(' · '))}</div>`

function secretsLine(fn: FunctionSummary, always: boolean): string {
  if (fn.secrets.length === 0) return always ? '<div class="meta">No secrets.</div>' : ''
  const names = fn.secrets.map(secret => `<b>${escapeHtml(secret.name)}</b> ${secret.set ? '<span class="state">set</span>' : '<span class="state off">not set</span>'}`)
  const unset = fn.secrets.filter(secret => !secret.set)
  const hint = unset.length ? ` <span class="meta">Set with <code>npm run sandbox:secret -- set ${escapeHtml(unset[0]!.name)}</code>.</span>` : ''
  return `<div>Secrets (names only): ${names.join(', ')}${hint}</div>`
}

function schedulesList(fn: FunctionSummary): string {
  if (fn.schedules.length === 0) return ''
  const items = fn.schedules.map((schedule) => {
    const when = schedule.problem
      ? `<span class="state off">does not fire offline</span> <span class="meta">${escapeHtml(schedule.problem)}</span>`
      : schedule.nextRun ? `next run ${time(schedule.nextRun, false)}` : '<span class="meta">no run within a year</span>'
    return [
      '<li>',
      `<span><code>${escapeHtml(schedule.expression)}</code>${schedule.timeZone === 'UTC' ? '' : ` ${escapeHtml(schedule.timeZone)}`} · ${when}</span>`,
      `<form class="inline" method="post" action="${escapeHtml(functionPath(fn.name))}/run"><input type="hidden" name="schedule" value="${escapeHtml(schedule.id)}"><button type="submit" aria-label="Run now: ${escapeHtml(fn.name)}, as ${escapeHtml(schedule.expression)} would">Run now</button></form>`,
      '</li>',
    ].join('')
  })
  return `<div>Schedule${fn.schedules.length > 1 ? 's' : ''}:</div><ul class="schedules">${items.join('')}</ul>`
}

function listContent(functions: LocalFunctions, notice?: string): string {
  const summaries = functions.summaries()
  const shown = notice ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''
  if (summaries.length === 0) return `<h1>Functions</h1>${shown}<p class="empty">The backend defines no functions.</p>`
  const rows = summaries.map((fn) => {
    const last = functions.invocations(fn.name)[0]
    const lastLine = last
      ? `<div class="meta">Last call ${time(last.startedAt)} by ${escapeHtml(last.caller)}${last.durationMs === undefined ? '' : `, ${Math.round(last.durationMs)} ms`}</div>`
      : ''
    return [
      '<li>',
      `<div><a href="${escapeHtml(functionPath(fn.name))}"><b>${escapeHtml(fn.name)}</b></a> ${status(last)}</div>`,
      settings(fn),
      lastLine,
      secretsLine(fn, false),
      schedulesList(fn),
      '</li>',
    ].join('')
  })
  return `<h1>Functions</h1>${shown}<ul class="functions">${rows.join('')}</ul>`
}

function invocationItem(invocation: Invocation): string {
  const outcome = invocation.outcome
  let answer: string
  if (!outcome) answer = '<p class="meta">Running…</p>'
  else if (outcome.ok) answer = `<div>Result</div><pre>${escapeHtml(outcome.result)}</pre>`
  else {
    const trace = outcome.error.trace?.length ? `<pre>${escapeHtml(outcome.error.trace.join('\n'))}</pre>` : ''
    answer = `<div>Error</div><pre>${escapeHtml(`${outcome.error.errorType}: ${outcome.error.errorMessage}`)}</pre>${trace ? `<details><summary>Stack trace</summary>${trace}</details>` : ''}`
  }
  const logs = invocation.logs.length
    ? `<div>Log lines</div><pre class="logs">${escapeHtml(invocation.logs.join('\n'))}</pre>`
    : '<div class="meta">No log lines.</div>'
  return [
    '<li>',
    `<div>${status(invocation)} by <b class="caller">${escapeHtml(invocation.caller)}</b></div>`,
    `<div class="meta">${time(invocation.startedAt)}${invocation.durationMs === undefined ? '' : ` · <span class="duration">${Math.round(invocation.durationMs)} ms</span>`} · request ${escapeHtml(invocation.requestId)}</div>`,
    `<details><summary>Event</summary><pre>${escapeHtml(invocation.event)}</pre></details>`,
    answer,
    logs,
    '</li>',
  ].join('')
}

function functionContent(fn: FunctionSummary, invocations: readonly Invocation[], form: { event: string, eventError?: string, notice?: string }): string {
  const notice = form.notice ? `<p class="notice" role="status">${escapeHtml(form.notice)}</p>` : ''
  const error = form.eventError ? `<p class="problem" id="event-error" role="alert">${escapeHtml(form.eventError)}</p>` : ''
  const invoke = [
    `<form class="invoke" method="post" action="${escapeHtml(functionPath(fn.name))}/invoke">`,
    '<label for="event">Event (JSON)</label>',
    `<textarea id="event" name="event" rows="8" spellcheck="false"${form.eventError ? ' aria-invalid="true" aria-describedby="event-error"' : ''}>${escapeHtml(form.event)}</textarea>`,
    error,
    '<button type="submit">Invoke</button>',
    '</form>',
  ].join('')
  const list = invocations.length
    ? `<ol class="invocations">${invocations.map(invocationItem).join('')}</ol>`
    : '<p class="empty">Not called since the sandbox started.</p>'
  return [
    '<p><a href="/functions">All functions</a></p>',
    `<h1>${escapeHtml(fn.name)}</h1>`,
    notice,
    settings(fn),
    secretsLine(fn, true),
    schedulesList(fn),
    '<h2>Invoke</h2>',
    invoke,
    `<h2>Recent invocations</h2><p class="meta">Newest first; the last ${INVOCATIONS_KEPT} are kept while the sandbox runs.</p>`,
    list,
  ].join('')
}
