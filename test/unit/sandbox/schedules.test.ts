import { describe, expect, it } from 'vitest'
import { parseSchedule, ScheduleError } from '../../../sandbox/functions/schedules'

const at = (iso: string) => new Date(iso)
const started = at('2026-12-01T10:00:00Z')

describe('EventBridge schedule expressions', () => {
  it('fires rate(n minutes) every n minutes after the start, never at the start itself', () => {
    const every5 = parseSchedule('rate(5 minutes)')
    expect(every5.matches(at('2026-12-01T10:00:00Z'), started)).toBe(false)
    expect(every5.matches(at('2026-12-01T10:04:00Z'), started)).toBe(false)
    expect(every5.matches(at('2026-12-01T10:05:00Z'), started)).toBe(true)
    expect(every5.matches(at('2026-12-01T10:10:00Z'), started)).toBe(true)
    expect(parseSchedule('rate(1 hour)').matches(at('2026-12-01T11:00:00Z'), started)).toBe(true)
    expect(parseSchedule('rate(1 day)').matches(at('2026-12-01T11:00:00Z'), started)).toBe(false)
  })

  it('matches cron fields as EventBridge reads them: steps, ranges, lists, names, ? and the year', () => {
    // What defineFunction({ schedule: 'every 5m' }) synthesizes.
    const every5 = parseSchedule('cron(*/5 * * * ? *)')
    expect(every5.matches(at('2026-12-01T10:15:00Z'), started)).toBe(true)
    expect(every5.matches(at('2026-12-01T10:16:00Z'), started)).toBe(false)
    const weekdays = parseSchedule('cron(0 9 ? * MON-FRI *)')
    expect(weekdays.matches(at('2026-12-01T09:00:00Z'), started)).toBe(true) // a Tuesday
    expect(weekdays.matches(at('2026-12-05T09:00:00Z'), started)).toBe(false) // a Saturday
    expect(weekdays.matches(at('2026-12-01T09:01:00Z'), started)).toBe(false)
    // Day-of-week 1 is Sunday in EventBridge.
    expect(parseSchedule('cron(0 0 ? * 1 *)').matches(at('2026-12-06T00:00:00Z'), started)).toBe(true)
    const monthly = parseSchedule('cron(30 6 1,15 JAN,DEC ? 2026)')
    expect(monthly.matches(at('2026-12-15T06:30:00Z'), started)).toBe(true)
    expect(monthly.matches(at('2027-12-15T06:30:00Z'), started)).toBe(false)
  })

  it('reads the hour in the schedule\'s time zone', () => {
    const morning = parseSchedule('cron(0 8 * * ? *)', 'Europe/Paris')
    expect(morning.matches(at('2026-12-01T07:00:00Z'), started)).toBe(true)
    expect(morning.matches(at('2026-12-01T08:00:00Z'), started)).toBe(false)
  })

  it('refuses what it cannot honour, saying why, rather than firing at a guess', () => {
    for (const [expression, reason] of [
      ['every 5 minutes', 'expected rate(...) or cron(...)'],
      ['rate(5 weeks)', 'minute(s), hour(s) or day(s)'],
      ['cron(0 12 * * *)', 'six fields'],
      ['cron(0 12 1 * MON *)', 'one of day-of-month and day-of-week must be ?'],
      ['cron(0 12 L * ? *)', 'not supported offline'],
      ['cron(61 * * * ? *)', 'out of range'],
    ]) {
      expect(() => parseSchedule(expression!), expression).toThrow(ScheduleError)
      expect(() => parseSchedule(expression!), expression).toThrow(reason)
    }
    expect(() => parseSchedule('cron(0 8 * * ? *)', 'Mars/Olympus')).toThrow('unknown time zone')
  })
})

describe('the next run of a schedule', () => {
  it('is the first minute after now that fires, however far within a year, in the schedule\'s time zone', () => {
    const now = at('2026-12-01T10:07:30Z') // a Tuesday
    expect(parseSchedule('rate(5 minutes)').next(now, started)).toEqual(at('2026-12-01T10:10:00Z'))
    expect(parseSchedule('rate(1 day)').next(now, started)).toEqual(at('2026-12-02T10:00:00Z'))
    expect(parseSchedule('cron(*/5 * * * ? *)').next(now, started)).toEqual(at('2026-12-01T10:10:00Z'))
    // Weekly: Sunday 03:00, five days on.
    expect(parseSchedule('cron(0 3 ? * SUN *)').next(now, started)).toEqual(at('2026-12-06T03:00:00Z'))
    // Yearly: the first of March, three months on.
    expect(parseSchedule('cron(15 8 1 MAR ? *)').next(now, started)).toEqual(at('2027-03-01T08:15:00Z'))
    // 09:30 in India (UTC+5:30) is 04:00 UTC: a zone off the hour is not missed.
    expect(parseSchedule('cron(30 9 * * ? *)', 'Asia/Kolkata').next(now, started)).toEqual(at('2026-12-02T04:00:00Z'))
    // A year that has passed never fires again.
    expect(parseSchedule('cron(0 0 1 1 ? 2025)').next(now, started)).toBeUndefined()
  })
})
