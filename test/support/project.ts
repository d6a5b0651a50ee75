import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export const projectRoot = resolve(import.meta.dirname, '../..')

/**
 * A scratch copy of the project's `amplify/` folder (and the `shared/` it imports), inside the project (under the ignored
 * `.amplify/`) so that `@aws-amplify/backend` still resolves from its `node_modules`.
 */
export async function scratchProject(): Promise<{ dir: string, edit(file: string, change: (text: string) => string): Promise<void>, remove(): Promise<void> }> {
  const parent = join(projectRoot, '.amplify', 'test')
  await mkdir(parent, { recursive: true })
  const dir = await mkdtemp(join(parent, 'project-'))
  await cp(join(projectRoot, 'amplify'), join(dir, 'amplify'), { recursive: true })
  // The data model takes its length rule from shared/, as the app does.
  await cp(join(projectRoot, 'shared'), join(dir, 'shared'), { recursive: true })
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
 * The app's auth without its postConfirmation trigger: for scratch backends that write their own
 * `backend.ts`. The app's backend.ts takes the `Members` group's role away (everyone joins it, so
 * it must grant nothing); without that, the trigger would hand every user that group's empty role.
 */
export async function writeBareAuth(dir: string): Promise<void> {
  await writeFile(join(dir, 'amplify', 'auth', 'resource.ts'), [
    'import { defineAuth } from \'@aws-amplify/backend\'',
    'export const auth = defineAuth({ loginWith: { email: true }, groups: [\'Admin\'] })',
    '',
  ].join('\n'))
}
