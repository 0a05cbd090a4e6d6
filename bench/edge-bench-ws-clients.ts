/**
 * Child process of bench/edge.bench.ts: holds many WebSocket clients on one edge node, each
 * subscribed to one token of the `hot` set, and measures delivery latency = receive time −
 * the update's asOf (the publisher stamps asOf with its wall clock; same machine, same clock,
 * millisecond resolution). Reads only the asOf field out of each message (string search, not
 * JSON.parse) so the client process spends its one core receiving, not parsing.
 * argv: port clients hot. stdin: "report" → one JSON line with the latencies since the last report.
 */
import { createInterface } from 'node:readline'
import WebSocket from 'ws'

const [port, clientsArg, hotArg] = process.argv.slice(2)
const CLIENTS = Number(clientsArg)
const HOT = Number(hotArg)
function tokenAddress (i: number): string { return '0x' + i.toString(16).padStart(40, '0') }
function keyOf (i: number): string { return (i % 5 === 0 ? 'solana' : 'ethereum') + ':' + tokenAddress(i) }

let lat: number[] = []
let received = 0
let errors = 0
let closed = 0
const sockets: WebSocket[] = []

function onMessage (data: WebSocket.RawData): void {
  const s = data.toString()
  if (!s.startsWith('{"type":"update"')) return
  const i = s.indexOf('"asOf":"')
  if (i < 0) return
  received++
  lat.push(Date.now() - Date.parse(s.slice(i + 8, i + 32)))
}

async function openOne (n: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { perMessageDeflate: false })
    ws.on('open', () => { ws.send(JSON.stringify({ op: 'subscribe', tokens: [keyOf(n % HOT)] })); resolve() })
    ws.on('message', onMessage)
    ws.on('error', () => { errors++; resolve() })
    ws.on('close', () => { closed++ })
    sockets.push(ws)
  })
}

const t0 = performance.now()
for (let i = 0; i < CLIENTS; i += 250) {
  await Promise.all(Array.from({ length: Math.min(250, CLIENTS - i) }, (_, k) => openOne(i + k)))
}
process.stdout.write(JSON.stringify({ type: 'ready', clients: CLIENTS, errors, connectMs: Math.round(performance.now() - t0) }) + '\n')

function pct (sorted: number[], p: number): number { return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] }

createInterface({ input: process.stdin }).on('line', line => {
  if (line === 'report') {
    const s = lat.sort((a, b) => a - b)
    process.stdout.write(JSON.stringify({ type: 'report', received, p50: pct(s, 0.5), p99: pct(s, 0.99), p999: pct(s, 0.999), max: s[s.length - 1] ?? NaN, errors, closed }) + '\n')
    lat = []
    received = 0
  } else if (line === 'exit') {
    for (const ws of sockets) ws.terminate()
    process.exit(0)
  }
})
