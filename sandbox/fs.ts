/** The sandbox's two ways of touching its files: whole-file atomic writes and optional JSON reads. */
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
