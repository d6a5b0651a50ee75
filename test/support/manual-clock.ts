import type { Clock } from '../../sandbox/core/clock'

export interface ManualClock extends Clock {
  /**
   * Moves the clock `ms` forward, firing each timer that falls due on the way at its own time, in
   * order (a timer set by one that fires counts too).
   */
  advance(ms: number): void
}

/** A clock that stands still until a test moves it: what a sandbox's schedules fire by in a test. */
export function manualClock(start = new Date()): ManualClock {
  let now = start.getTime()
  let nextId = 0
  const timers = new Map<number, { at: number, fire: () => void }>()
  return {
    now: () => new Date(now),
    setTimer(fire, ms) {
      const id = nextId++
      timers.set(id, { at: now + Math.max(0, ms), fire })
      return () => timers.delete(id)
    },
    advance(ms) {
      const until = now + ms
      for (;;) {
        // The earliest due timer; of two due at once, the one set first.
        let due: [number, { at: number, fire: () => void }] | undefined
        for (const entry of timers) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry
        if (!due) break
        timers.delete(due[0])
        now = due[1].at
        due[1].fire()
      }
      now = until
    },
  }
}
