/**
 * Scheduled functions: the backend's `AWS::Scheduler::Schedule`s (what `defineFunction({ schedule })`
 * makes) and `AWS::Events::Rule`s with a `ScheduleExpression` whose target is a function, fired
 * while the sandbox runs. Expressions are EventBridge's: `rate(5 minutes)` (first firing one period
 * after the sandbox starts) and `cron(minutes hours day-of-month month day-of-week year)` in the
 * schedule's time zone. The six fields (with `?` and the year) are matched here, minute by minute
 * in that time zone; `L`, `W` and `#` are refused with a message rather than guessed.
 */
import type { CloudAssembly } from '../assembly'
import { systemClock, type Clock } from '../core/clock'

export interface ScheduleDefinition {
  /** The schedule's or rule's logical id. */
  id: string
  expression: string
  timeZone: string
  /** The target function's ARN. */
  target: string
  /** What the function receives: the target's `Input`, or what EventBridge sends without one. */
  event: (at: Date) => unknown
}

type Field = (value: number) => boolean

export interface ParsedSchedule {
  /** Whether it fires in the minute starting at `at`. */
  matches(at: Date, startedAt: Date): boolean
  /** The first minute after `after` in which it fires, within a year; undefined when none is. */
  next(after: Date, startedAt: Date): Date | undefined
}

const MINUTE = 60_000
/** How far `next` looks: EventBridge's cron has a year field, so a schedule may never fire again. */
const NEXT_HORIZON_HOURS = 366 * 24

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']
const RATE_UNITS: Record<string, number> = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 }

export class ScheduleError extends Error {
  override name = 'ScheduleError'
}

/** One cron field: `*`, `?`, numbers or names, ranges `a-b`, steps `x/n`, lists. */
function parseField(text: string, min: number, max: number, names: string[] = [], offset = 0): Field {
  if (text === '*' || text === '?') return () => true
  if (/[LW#]/.test(text)) throw new ScheduleError(`"${text}" (L, W or #) is not supported offline`)
  const number = (part: string): number => {
    const named = names.indexOf(part.toUpperCase())
    const value = named >= 0 ? named + offset : Number(part)
    if (!Number.isInteger(value) || value < min || value > max) throw new ScheduleError(`"${part}" is out of range ${min}-${max}`)
    return value
  }
  const allowed = new Set<number>()
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/')
    const step = stepText === undefined ? 1 : Number(stepText)
    if (!Number.isInteger(step) || step < 1) throw new ScheduleError(`"${item}" has a bad step`)
    const [from, to] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(number) as [number, number] : [number(range), stepText === undefined ? number(range) : max]
    for (let value = from; value <= to; value += step) allowed.add(value)
  }
  return value => allowed.has(value)
}

/**
 * One formatter per time zone: making an `Intl.DateTimeFormat` costs far more than using one, and
 * `next` reads up to 17,500 instants for a schedule that never fires again: 2.2 s of a unit test made
 * afresh each time, 0.17 s with one (and over the 5 s limit on a slow machine).
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

/** The parts of `at` in `timeZone`, as the schedule's fields count them. */
function partsIn(at: Date, timeZone: string): { minute: number, hour: number, day: number, month: number, weekday: number, year: number } {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
    })
    formatters.set(timeZone, formatter)
  }
  const parts = Object.fromEntries(formatter.formatToParts(at).map(part => [part.type, part.value]))
  return {
    minute: Number(parts.minute),
    hour: Number(parts.hour),
    day: Number(parts.day),
    month: Number(parts.month),
    weekday: DAYS.indexOf(String(parts.weekday).toUpperCase()),
    year: Number(parts.year),
  }
}

/** Parses an EventBridge schedule expression; throws ScheduleError saying what is wrong. */
export function parseSchedule(expression: string, timeZone = 'UTC'): ParsedSchedule {
  const rate = /^rate\((\d+) (\w+)\)$/.exec(expression.trim())
  if (rate) {
    const every = Number(rate[1]) * (RATE_UNITS[rate[2]!] ?? Number.NaN)
    if (!Number.isFinite(every) || every < 1) throw new ScheduleError(`${expression}: the unit must be minute(s), hour(s) or day(s)`)
    return {
      matches: (at, startedAt) => {
        const elapsed = Math.round((at.getTime() - startedAt.getTime()) / 60_000)
        return elapsed > 0 && elapsed % every === 0
      },
      next: (after, startedAt) => {
        // The first multiple of `every` minutes from the start that lies after `after`.
        const elapsed = Math.floor((after.getTime() - startedAt.getTime()) / MINUTE)
        return new Date(startedAt.getTime() + (Math.max(0, Math.floor(elapsed / every)) + 1) * every * MINUTE)
      },
    }
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim())
  if (!cron) throw new ScheduleError(`${expression}: expected rate(...) or cron(...)`)
  const fields = cron[1]!.trim().split(/\s+/)
  if (fields.length !== 6) throw new ScheduleError(`${expression}: cron needs six fields (minutes hours day-of-month month day-of-week year)`)
  const [minutes, hours, days, months, weekdays, years] = fields as [string, string, string, string, string, string]
  if (days !== '?' && weekdays !== '?') throw new ScheduleError(`${expression}: one of day-of-month and day-of-week must be ?`)
  const match = {
    minute: parseField(minutes, 0, 59),
    hour: parseField(hours, 0, 23),
    day: parseField(days, 1, 31),
    month: parseField(months, 1, 12, MONTHS, 1),
    // EventBridge counts days of the week 1 (Sunday) to 7.
    weekday: parseField(weekdays, 1, 7, DAYS, 1),
    year: parseField(years, 1970, 2199),
  }
  try {
    partsIn(new Date(), timeZone)
  }
  catch {
    throw new ScheduleError(`${expression}: unknown time zone ${timeZone}`)
  }
  // Every field but the minute: what an hour-long stretch has to satisfy before its minutes are tried.
  const hourMatches = (p: ReturnType<typeof partsIn>) => match.hour(p.hour) && match.day(p.day) && match.month(p.month) && match.weekday(p.weekday + 1) && match.year(p.year)
  const matches = (at: Date) => {
    const p = partsIn(at, timeZone)
    return match.minute(p.minute) && hourMatches(p)
  }
  return {
    matches,
    next: (after) => {
      // An hour at a time, its first and last minute read in the time zone (a zone 30 or 45 minutes
      // off UTC moves to the next local hour inside it); only an hour whose other fields match has
      // its minutes tried. A year of hours is about 9,000 reads, under a second once, and the
      // answer is kept until it has passed.
      const first = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE
      for (let hour = 0; hour < NEXT_HORIZON_HOURS; hour++) {
        const start = first + hour * 60 * MINUTE
        if (!hourMatches(partsIn(new Date(start), timeZone)) && !hourMatches(partsIn(new Date(start + 59 * MINUTE), timeZone))) continue
        for (let minute = 0; minute < 60; minute++) {
          const at = new Date(start + minute * MINUTE)
          if (matches(at)) return at
        }
      }
      return undefined
    },
  }
}

/** The schedules whose target is a function, from the assembly. */
export function scheduleDefinitions(assembly: CloudAssembly): ScheduleDefinition[] {
  const definitions: ScheduleDefinition[] = []
  const { region, accountId } = assembly.ids
  const value = (found: { stack: Parameters<CloudAssembly['property']>[0], logicalId: string }, name: string): unknown => {
    try {
      return assembly.property(found.stack, found.logicalId, name)
    }
    catch {
      return undefined
    }
  }
  for (const found of assembly.resourcesOfType('AWS::Scheduler::Schedule')) {
    const target = value(found, 'Target') as { Arn?: unknown, Input?: unknown } | undefined
    const expression = value(found, 'ScheduleExpression')
    if (typeof target?.Arn !== 'string' || !target.Arn.includes(':function:') || typeof expression !== 'string') continue
    if (value(found, 'State') === 'DISABLED') continue
    const input = typeof target.Input === 'string' ? target.Input : undefined
    definitions.push({
      id: found.logicalId,
      expression,
      timeZone: String(value(found, 'ScheduleExpressionTimezone') ?? 'UTC'),
      target: target.Arn,
      // EventBridge Scheduler sends the target's Input, or an empty object without one.
      event: () => (input === undefined ? {} : JSON.parse(input) as unknown),
    })
  }
  for (const found of assembly.resourcesOfType('AWS::Events::Rule')) {
    const expression = value(found, 'ScheduleExpression')
    if (typeof expression !== 'string' || value(found, 'State') === 'DISABLED') continue
    for (const target of (value(found, 'Targets') ?? []) as Array<{ Arn?: unknown, Input?: unknown }>) {
      if (typeof target.Arn !== 'string' || !target.Arn.includes(':function:')) continue
      const input = typeof target.Input === 'string' ? target.Input : undefined
      const ruleArn = `arn:aws:events:${region}:${accountId}:rule/${found.logicalId}`
      definitions.push({
        id: found.logicalId,
        expression,
        timeZone: 'UTC',
        target: target.Arn,
        // EventBridge rules send the Scheduled Event itself unless the target sets an Input.
        event: at => input !== undefined
          ? JSON.parse(input) as unknown
          : { 'version': '0', 'id': crypto.randomUUID(), 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'account': accountId, 'time': at.toISOString().replace(/\.\d+Z$/, 'Z'), region, 'resources': [ruleArn], 'detail': {} },
      })
    }
  }
  return definitions
}

export interface ScheduleRunner {
  /** Replaces the schedules (after a reload); a bad expression is reported, not thrown. */
  update(definitions: readonly ScheduleDefinition[]): void
  close(): void
}

/**
 * Fires each schedule at the start of every minute it matches. `fire` is called with the target
 * and event and not awaited (EventBridge invokes asynchronously).
 */
export function startSchedules(options: {
  fire: (target: string, event: unknown, schedule: ScheduleDefinition) => void
  log: (line: string) => void
  clock?: Clock
}): ScheduleRunner {
  const clock = options.clock ?? systemClock
  const now = () => clock.now()
  const startedAt = new Date(Math.floor(now().getTime() / 60_000) * 60_000)
  let active: Array<{ definition: ScheduleDefinition, parsed: ParsedSchedule }> = []
  let cancel = () => {}

  const tick = () => {
    const at = new Date(Math.floor(now().getTime() / 60_000) * 60_000)
    for (const { definition, parsed } of active) {
      if (parsed.matches(at, startedAt)) options.fire(definition.target, definition.event(at), definition)
    }
    schedule()
  }
  const schedule = () => {
    cancel()
    if (active.length === 0) return
    cancel = clock.setTimer(tick, 60_000 - (now().getTime() % 60_000) + 5)
  }

  return {
    update(definitions) {
      active = []
      for (const definition of definitions) {
        try {
          active.push({ definition, parsed: parseSchedule(definition.expression, definition.timeZone) })
        }
        catch (error) {
          options.log(`Schedule ${definition.id} does not fire offline: ${(error as Error).message}`)
        }
      }
      schedule()
    },
    close() {
      cancel()
      active = []
    },
  }
}
