/**
 * `node --import tsx test/support/build-app.ts <work dir> [preset]`: a production build of the app
 * into `<work dir>/.output` (build files in `<work dir>/.nuxt`), so tests never touch the
 * project's own `.nuxt/` and `.output/`. `nuxi build` cannot move them; `@nuxt/kit` can.
 */
import { join, resolve } from 'node:path'
import { buildNuxt, loadNuxt } from '@nuxt/kit'
import { projectRoot } from './project'

const [workDir, preset] = process.argv.slice(2)
if (!workDir) throw new Error('usage: build-app.ts <work dir> [nitro preset]')
const dir = resolve(workDir)

const nuxt = await loadNuxt({
  cwd: projectRoot,
  dev: false,
  dotenv: { fileName: '/dev/null' },
  overrides: {
    buildDir: join(dir, '.nuxt'),
    nitro: { output: { dir: join(dir, '.output') }, ...(preset ? { preset } : {}) },
  },
})
await buildNuxt(nuxt)
await nuxt.close()
