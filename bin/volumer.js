#!/usr/bin/env node
// Runs the compiled CLI (`make build` / `npm run build` produce dist/); from a source checkout
// without a build, falls back to running the TypeScript through tsx.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const compiled = join(root, 'dist', 'cli', 'main.js')
if (existsSync(compiled)) {
  const { main } = await import(pathToFileURL(compiled).href)
  process.exitCode = await main(process.argv.slice(2))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  const { main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href)
  process.exitCode = await main(process.argv.slice(2))
}
