/** The sandbox's ways of touching its files: whole-file atomic writes (one-off or coalesced) and optional JSON reads. */
import { open, readFile, rename } from 'node:fs/promises'

let counter = 0

/**
 * Writes `data` to `path` through a temporary file, synced and then renamed over it, so a crash
 * leaves either the old file or the new one, never half of one. Concurrent calls do not collide.
 */
export async function writeAtomically(path: string, data: string, mode = 0o600): Promise<void> {
  const tempPath = `${path}.${process.pid}.${counter++}.tmp`
  const handle = await open(tempPath, 'w', mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  }
  finally {
    await handle.close()
  }
  await rename(tempPath, path)
}

/** The JSON in `path`, or `undefined` when there is no such file; any other failure is thrown. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export interface CoalescedWriter {
  /** Writes a fresh snapshot; resolves once one taken after this call is on disk. */
  save(): Promise<void>
  /** Resolves once every save asked for so far has finished (failed ones included). */
  flush(): Promise<void>
}

/**
 * Keeps `path` in step with an in-memory state through `writeAtomically`, one write at a time:
 * saves asked for while a write runs share the next one, so a burst of changes costs two writes.
 */
export function coalescedWriter(path: string, snapshot: () => string, mode = 0o600): CoalescedWriter {
  let writing: Promise<void> = Promise.resolve()
  let pending: Promise<void> | undefined
  return {
    save() {
      pending ??= writing.catch(() => {}).then(() => {
        // Taking the snapshot clears `pending`, so later changes schedule the next write.
        pending = undefined
        writing = writeAtomically(path, snapshot(), mode)
        return writing
      })
      return pending
    },
    async flush() {
      await pending?.catch(() => {})
      await writing.catch(() => {})
    },
  }
}
