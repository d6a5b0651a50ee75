// `npm run test:unit`: the unit tier alone, the everyday loop.
import { defineConfig } from 'vitest/config'
import { projectRoot, unitProject } from './project'

export default defineConfig({ root: projectRoot, test: { projects: [unitProject] } })
