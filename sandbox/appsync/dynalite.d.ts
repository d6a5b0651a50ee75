/** dynalite ships no types; this is the part the sandbox uses (see its index.js). */
declare module 'dynalite' {
  import type { Server } from 'node:http'

  interface DynaliteOptions {
    /** LevelDB folder; in memory when absent. */
    path?: string
    createTableMs?: number
    deleteTableMs?: number
    updateTableMs?: number
    maxItemSizeKb?: number
    verbose?: boolean
    debug?: boolean
  }

  /** An HTTP server speaking DynamoDB's JSON protocol; `close` also closes LevelDB. */
  export default function dynalite(options?: DynaliteOptions): Server
}
