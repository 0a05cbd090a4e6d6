import { expect } from 'chai'
import pino from 'pino'
import type uWS from 'uWebSockets.js'
import { createHttpWriter, type PendingSlot } from '../../src/edge/http-backpressure.js'

/**
 * The writer's accounting against a scripted response: a socket that takes `room` bytes now and
 * more when the test "drains" it. (The real uWS behaviour — a never-reading client, pipelining
 * behind an unfinished response — is exercised in test/edge/hostile/resource-limits.test.ts; a
 * loopback socket absorbs hundreds of KB, so the process cap is checked here, where the room is
 * chosen.)
 */
function scriptedRes (room: number): uWS.HttpResponse & { drain: (n: number) => void, closed: boolean, got: number } {
  let offset = 0
  let writable: ((o: number) => boolean) | null = null
  const res: any = {
    closed: false,
    got: 0,
    tryEnd (chunk: string | Buffer, total: number) {
      const n = Math.min(room, Buffer.byteLength(chunk))
      room -= n; offset += n; res.got += n
      return [offset === total, offset === total]
    },
    getWriteOffset: () => offset,
    onWritable (h: (o: number) => boolean) { writable = h; return res },
    close () { res.closed = true; return res },
    drain (n: number) { room += n; writable?.(offset) }
  }
  return res
}

describe('http-backpressure (responses waiting for slow readers)', () => {
  const quiet = pino({ level: 'silent' })

  it('owes nothing when the socket takes the body; follows on writable and releases when done', () => {
    const closed: string[] = []
    const w = createHttpWriter({ maxPendingBytes: 1000 }, quiet, { closed: r => closed.push(r) })
    const slot: PendingSlot = { release: null }
    expect(w.end(scriptedRes(1000), Buffer.alloc(500), slot)).to.equal(true)
    expect(w.pendingBytes).to.equal(0)
    const res = scriptedRes(100)
    expect(w.end(res, Buffer.alloc(600), slot)).to.equal(true)
    expect(w.pendingBytes).to.equal(500)
    expect(slot.release).to.not.equal(null)
    res.drain(200)
    expect(w.pendingBytes).to.equal(300)
    res.drain(1000)
    expect(res.got).to.equal(600)
    expect(w.pendingBytes).to.equal(0)
    expect(w.pendingResponses).to.equal(0)
    expect(slot.release).to.equal(null)
    expect(closed).to.deep.equal([])
  })

  it('closes a connection whose unsent rest would pass maxPendingBytes; an abort releases what was owed', () => {
    const closed: string[] = []
    const w = createHttpWriter({ maxPendingBytes: 1000 }, quiet, { closed: r => closed.push(r) })
    const a: PendingSlot = { release: null }
    w.end(scriptedRes(0), 'x'.repeat(800), a)
    expect(w.pendingBytes).to.equal(800)
    const over = scriptedRes(0)
    expect(w.end(over, Buffer.alloc(300), { release: null })).to.equal(false)
    expect(over.closed).to.equal(true)
    expect(w.pendingBytes).to.equal(800)
    a.release?.() // uWS aborted it: the client went away, pipelined behind it, or timed out
    expect(w.pendingBytes).to.equal(0)
    expect(closed).to.deep.equal(['process_cap', 'unread'])
    const next = scriptedRes(0)
    expect(w.end(next, Buffer.alloc(300), { release: null })).to.equal(true)
    expect(next.closed).to.equal(false)
  })
})
