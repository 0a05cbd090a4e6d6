#!/usr/bin/env -S node --max-semi-space-size=64
// --max-semi-space-size=64: a 64 MiB young generation (V8's default is 16) — the processor
// allocates a stats object per changed token per cycle, and with the default most of it was
// promoted and collected again: GC went from 25% to 8-11% of the processor's CPU and throughput
// from 21,091 to 23,746 swaps/s in one pair of runs (bench/processor.bench.ts). Runs that
// bypass this line (`node bin/volumer.js …`) pass the flag themselves (Makefile, Dockerfile,
// test helpers) or set NODE_OPTIONS=--max-semi-space-size=64.
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
