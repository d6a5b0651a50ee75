// Liveness for load balancers, and the benchmark's baseline: a bare JSON handler, no session work.
export default defineEventHandler(() => ({ ok: true }))
