import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'

export const projectRoot = resolve(import.meta.dirname, '../..')

/** Test backends: `<name>/amplify/...`, laid over a copy of the app's `amplify/` file by file. */
const fixturesDir = join(projectRoot, 'test', 'fixtures', 'backends')

export interface ScratchProject {
  dir: string
  /** Changes one file of the copy (`amplify/...`); throws when the change changes nothing. */
  edit(file: string, change: (text: string) => string): Promise<void>
  remove(): Promise<void>
}

/**
 * A scratch copy of the project's `amplify/` folder (and the `shared/` it imports), with the named
 * fixture of test/fixtures/backends/ laid over it, inside the project (under the ignored `.amplify/`)
 * so that `@aws-amplify/backend` still resolves from its `node_modules`.
 */
export async function scratchProject(fixture?: string): Promise<ScratchProject> {
  const parent = join(projectRoot, '.amplify', 'test')
  await mkdir(parent, { recursive: true })
  const dir = await mkdtemp(join(parent, 'project-'))
  await cp(join(projectRoot, 'amplify'), join(dir, 'amplify'), { recursive: true })
  // The data model takes its length rule from shared/, as the app does.
  await cp(join(projectRoot, 'shared'), join(dir, 'shared'), { recursive: true })
  if (fixture) await overlay(join(fixturesDir, fixture), dir)
  return {
    dir,
    async edit(file, change) {
      const path = join(dir, file)
      const before = await readFile(path, 'utf8')
      const after = change(before)
      // An edit that no longer matches the file would leave the test testing nothing.
      if (after === before) throw new Error(`The edit of ${file} changed nothing: does it still match the file?`)
      await writeFile(path, after)
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/**
 * Copies a fixture's files into the scratch project. A fixture names an app file it builds on as the
 * app does (`~~/amplify/data/resource`), which type-checks where the fixture lives; in the copy that
 * import points at the scratch project's own copy of the file, which synth reads and tests edit.
 */
async function overlay(fixture: string, dir: string): Promise<void> {
  const files = (await readdir(fixture, { recursive: true, withFileTypes: true })).filter(entry => entry.isFile())
  if (files.length === 0) throw new Error(`No fixture backend in ${relative(projectRoot, fixture)}`)
  for (const entry of files) {
    const from = join(entry.parentPath, entry.name)
    const to = join(dir, relative(fixture, from))
    await mkdir(dirname(to), { recursive: true })
    if (!/\.[cm]?[jt]s$/.test(entry.name)) {
      await cp(from, to)
      continue
    }
    const text = await readFile(from, 'utf8')
    await writeFile(to, text.replace(/(['"])~~\/((?:amplify|shared)\/[^'"]+)\1/g, (_, quote: string, path: string) => {
      const target = relative(dirname(to), join(dir, path))
      return `${quote}${target.startsWith('.') ? target : `./${target}`}${quote}`
    }))
  }
}
