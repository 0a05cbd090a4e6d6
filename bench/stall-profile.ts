/**
 * What ran inside each event-loop stall: joins a --cpu-prof profile with bench/stall-trace.mjs's
 * stalls and GC pauses (same clock) and prints, for stalls of at least MIN ms, the time per task
 * (the outermost frame of the project's own code on the stack, file:function) and GC's share.
 *
 *   node --import tsx bench/stall-profile.ts PROFILE.cpuprofile STALLS.json [MIN_MS=20]
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
const [profFile, traceFile, minArg] = process.argv.slice(2)
const prof = JSON.parse(readFileSync(profFile, 'utf8')) as { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }
const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as { stalls: Array<{ atUs: number, ms: number }>, gcs: Array<{ atUs: number, ms: number, kind: number }> }
const MIN = Number(minArg ?? 20)

const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const own = (url: string): boolean => url.includes('/dist/') || url.includes('/src/')
const short = (n: Node): string => `${n.callFrame.url.replace(/^.*\/(dist|src)\//, '')}:${n.callFrame.functionName || '(anon)'}:${n.callFrame.lineNumber + 1}`
const labelCache = new Map<number, string>()
/**
 * The two outermost own frames on the sample's stack ("run › processBatch": the outermost alone
 * is often the loop that called the work); the leaf's name when there is none
 */
function label (id: number): string {
  const hit = labelCache.get(id)
  if (hit !== undefined) return hit
  const leaf = byId.get(id)!
  const owns: Node[] = []
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!
    if (own(n.callFrame.url)) owns.push(n)
  }
  const outer = owns.slice(-2).reverse().map(short).join(' › ')
  const l = leaf.callFrame.functionName === '(garbage collector)' ? '(gc)' : outer !== '' ? outer : `[${leaf.callFrame.functionName || '(anon)'} ${leaf.callFrame.url.replace(/^.*\//, '')}]`
  labelCache.set(id, l)
  return l
}

const times: number[] = []
let t = prof.startTime
for (const d of prof.timeDeltas) { t += d; times.push(t) }
const stalls = trace.stalls.filter((s) => s.ms >= MIN && s.atUs >= prof.startTime && s.atUs <= prof.endTime)
const total = new Map<string, number>()
let gcMs = 0
let stallMs = 0
const lines: string[] = []
let j = 0
for (const s of stalls) {
  const end = s.atUs + s.ms * 1000
  const per = new Map<string, number>()
  while (j < times.length && times[j] < s.atUs) j++
  for (let k = j; k < times.length && times[k] < end; k++) {
    const dt = (k + 1 < times.length ? times[k + 1] - times[k] : 0) / 1000
    const l = label(prof.samples[k])
    if (l === '[(idle) ]' || l.startsWith('[(idle)')) continue
    per.set(l, (per.get(l) ?? 0) + dt)
  }
  const gc = trace.gcs.filter((g) => g.atUs < end && g.atUs + g.ms * 1000 > s.atUs).reduce((a, g) => a + g.ms, 0)
  gcMs += gc; stallMs += s.ms
  for (const [l, ms] of per) total.set(l, (total.get(l) ?? 0) + ms)
  const top = [...per].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([l, ms]) => `${l} ${ms.toFixed(1)}`).join('; ')
  lines.push(`${s.ms.toFixed(1).padStart(7)} ms  gc ${gc.toFixed(1).padStart(6)}  ${top}`)
}
console.log(`${stalls.length} stalls ≥ ${MIN} ms in the profile, ${stallMs.toFixed(0)} ms in all, GC pauses inside them ${gcMs.toFixed(0)} ms`)
console.log('by task (sampled ms inside the stalls):')
for (const [l, ms] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${ms.toFixed(0).padStart(7)}  ${l}`)
console.log('longest stalls:')
const order = stalls.map((s, i) => [s.ms, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 25)
for (const [, i] of order) console.log(lines[i])
const hist = [20, 30, 50, 100, 200, 500].map((b, i, a) => `${b}-${a[i + 1] ?? '∞'}: ${stalls.filter((s) => s.ms >= b && s.ms < (a[i + 1] ?? Infinity)).length}`)
console.log('stalls by length (ms): ' + hist.join(', '))
const gcLong = trace.gcs.filter((g) => g.ms >= 10)
console.log(`GC pauses ≥ 10 ms: ${gcLong.length} (kinds ${JSON.stringify(gcLong.reduce<Record<number, number>>((a, g) => { a[g.kind] = (a[g.kind] ?? 0) + 1; return a }, {}))}), longest ${Math.max(0, ...trace.gcs.map((g) => g.ms)).toFixed(1)} ms`)
