// autocannon ships no types (and @types/autocannon is not installed): the part bench/run.ts uses.
declare module 'autocannon' {
  export interface Options {
    url: string
    connections?: number
    duration?: number
    headers?: Record<string, string>
    warmup?: { connections?: number, duration?: number }
  }
  export interface Histogram {
    average: number
    mean: number
    p50: number
    p99: number
    max: number
  }
  export interface Result {
    requests: Histogram & { total: number, sent: number }
    latency: Histogram
    throughput: Histogram
    errors: number
    timeouts: number
    non2xx: number
    statusCodeStats: Record<string, { count: number }>
    duration: number
  }
  export interface Instance extends PromiseLike<Result> {
    stop(): void
  }
  function autocannon(options: Options): Instance
  export default autocannon
}
