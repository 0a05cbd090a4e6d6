/**
 * Ranked-index data structure: the chunked SortedList against a plain sorted array with binary
 * insertion (Array.splice), at 100,000 items: build, random updates (remove + insert), top-50 read.
 * `node --import tsx bench/edge-index.bench.ts` → bench/results/edge-index.json
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SortedList } from '../src/edge/sorted-list.js'

interface Item { v: number, key: string }
const N = 100_000
const UPDATES = 50_000
const cmp = (a: Item, b: Item): number => a.v !== b.v ? a.v - b.v : a.key < b.key ? -1 : a.key > b.key ? 1 : 0

let seed = 7
const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
const items: Item[] = Array.from({ length: N }, (_, i) => ({ v: Math.floor(rnd() * 1e6), key: 'ethereum:0x' + i.toString(16).padStart(40, '0') }))
const updates: Array<[number, number]> = Array.from({ length: UPDATES }, () => [Math.floor(rnd() * N), Math.floor(rnd() * 1e6)])

function lowerBound (arr: Item[], x: Item): number {
  let lo = 0; let hi = arr.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (cmp(arr[mid], x) < 0) lo = mid + 1; else hi = mid }
  return lo
}

function runArray (): Record<string, number> {
  const cur = items.map(x => ({ ...x }))
  let t = performance.now()
  const arr = [...cur].sort(cmp)
  const buildMs = performance.now() - t
  t = performance.now()
  for (const [i, v] of updates) {
    arr.splice(lowerBound(arr, cur[i]), 1)
    cur[i] = { v, key: cur[i].key }
    arr.splice(lowerBound(arr, cur[i]), 0, cur[i])
  }
  const updateUs = (performance.now() - t) * 1000 / UPDATES
  t = performance.now()
  let s = 0
  for (let k = 0; k < 10_000; k++) for (let j = arr.length - 1; j >= arr.length - 50; j--) s += arr[j].v
  const top50Us = (performance.now() - t) * 1000 / 10_000
  return { buildMs: Math.round(buildMs), updateUs: Number(updateUs.toFixed(2)), top50Us: Number(top50Us.toFixed(3)), check: s > 0 ? 1 : 0 }
}

function runChunked (): Record<string, number> {
  const cur = items.map(x => ({ ...x }))
  const list = new SortedList<Item>(cmp)
  let t = performance.now()
  list.build([...cur])
  const buildMs = performance.now() - t
  t = performance.now()
  for (const [i, v] of updates) {
    list.remove(cur[i])
    cur[i] = { v, key: cur[i].key }
    list.insert(cur[i])
  }
  const updateUs = (performance.now() - t) * 1000 / UPDATES
  t = performance.now()
  let s = 0
  for (let k = 0; k < 10_000; k++) for (const x of list.take(50, true)) s += x.v
  const top50Us = (performance.now() - t) * 1000 / 10_000
  return { buildMs: Math.round(buildMs), updateUs: Number(updateUs.toFixed(2)), top50Us: Number(top50Us.toFixed(3)), check: s > 0 ? 1 : 0 }
}

const result = { bench: 'edge-index', date: new Date().toISOString(), items: N, updates: UPDATES, sortedArray: runArray(), chunkedSortedList: runChunked() }
console.log(result)
const here = dirname(fileURLToPath(import.meta.url))
mkdirSync(join(here, 'results'), { recursive: true })
writeFileSync(join(here, 'results', 'edge-index.json'), JSON.stringify(result, null, 2) + '\n')
