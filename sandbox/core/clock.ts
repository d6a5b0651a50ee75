/**
 * The sandbox's time, for what fires or expires on its own (schedules): the system clock when
 * served, one a test moves by hand (test/support/manual-clock.ts) so no test waits for a minute.
 */
export interface Clock {
  now(): Date
  /** Calls `fire` once `ms` have passed on this clock; the returned function cancels it. Never keeps the process alive. */
  setTimer(fire: () => void, ms: number): () => void
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(fire, ms) {
    const timer = setTimeout(fire, ms)
    timer.unref()
    return () => clearTimeout(timer)
  },
}
