/**
 * `node --import tsx test/support/nuxt-build.ts <work dir> [options JSON] [--after-stdin]`: a
 * production build of the app into `<work dir>/.output` (build files in `<work dir>/.nuxt`), so
 * tests never touch the project's own `.nuxt/` and `.output/`. `nuxi build` cannot move them;
 * `@nuxt/kit` can. Options are `BuildOptions` (test/support/built-app.ts). With `--after-stdin` it
 * loads Nuxt, then waits for stdin to end before building: the outputs file can be written meanwhile.
 */
import { join, resolve } from 'node:path'
import { buildNuxt, loadNuxt } from '@nuxt/kit'
import type { BuildOptions } from './built-app'
import { projectRoot } from './project'

const [workDir, optionsJson, wait] = process.argv.slice(2)
if (!workDir || (wait && wait !== '--after-stdin')) throw new Error('usage: nuxt-build.ts <work dir> [options JSON] [--after-stdin]')
const dir = resolve(workDir)
const { preset, replacePlugins = {}, removeServerPlugins = [] } = JSON.parse(optionsJson ?? '{}') as BuildOptions
const replacements = new Map(Object.entries(replacePlugins).map(([from, to]) => [resolve(projectRoot, from), resolve(projectRoot, to)]))

const nuxt = await loadNuxt({
  cwd: projectRoot,
  dev: false,
  dotenv: { fileName: '/dev/null' },
  overrides: {
    buildDir: join(dir, '.nuxt'),
    // The gzip sizes in the build log cost seconds and change nothing in the build.
    vite: { build: { reportCompressedSize: false } },
    nitro: { output: { dir: join(dir, '.output') }, logging: { compressedSizes: false }, ...(preset ? { preset } : {}) },
    hooks: {
      'nitro:init'(nitro) {
        const removed = new Set(removeServerPlugins.map(path => resolve(projectRoot, path)))
        const kept = nitro.options.plugins.filter(plugin => !removed.has(plugin))
        if (nitro.options.plugins.length - kept.length !== removed.size) throw new Error(`No server plugin to remove among ${nitro.options.plugins.join(', ')}`)
        nitro.options.plugins = kept
      },
      'app:resolve'(app) {
        const missing = new Set(replacements.keys())
        for (const plugin of app.plugins) {
          const replacement = replacements.get(plugin.src)
          if (!replacement) continue
          missing.delete(plugin.src)
          plugin.src = replacement
        }
        if (missing.size) throw new Error(`No plugin to replace: ${[...missing].join(', ')}`)
      },
    },
  },
})
if (wait) {
  process.stdin.resume()
  await new Promise(resolve => process.stdin.once('end', resolve))
}
await buildNuxt(nuxt)
await nuxt.close()
