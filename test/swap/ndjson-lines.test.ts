import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { expect } from 'chai'
import fc from 'fast-check'
import {
  createLineSplitter, readNdjsonBatches, readNdjsonLines, swapFromLine, type NdjsonLine,
} from '../../src/swap/ndjson-lines.js'
import { isSwapReject } from '../../src/swap/swap-reject.js'

import { openInputFile } from '../../src/cli/input-file.js'
import { ETHEREUM_SAMPLE } from '../helpers/sample-data.js'

async function collect (chunks: Array<string | Uint8Array>, maxLineBytes?: number): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = []
  for await (const line of readNdjsonLines(Readable.from(chunks, { objectMode: true }), { maxLineBytes })) out.push(line)
  return out
}

function texts (lines: NdjsonLine[]): Array<[number, string]> {
  return lines.map(l => [l.lineNo, l.kind === 'line' ? l.text : `<${l.kind} ${l.bytes}>`])
}

describe('ndjson-lines', () => {
  it('numbers lines from 1 and handles a last line without a newline', async () => {
    expect(texts(await collect(['a\nb\nc']))).to.deep.equal([[1, 'a'], [2, 'b'], [3, 'c']])
  })

  it('strips CRLF and skips empty and blank lines, still counting them', async () => {
    expect(texts(await collect(['a\r\n\r\n\n  \t \nb\r\n', '\n', 'c\r']))).to.deep.equal([[1, 'a'], [5, 'b'], [7, 'c']])
  })

  it('joins a line split across chunks, even inside a multi-byte character', async () => {
    const bytes = Buffer.from('{"t":"火🦄"}\n{"t":"é"}\n', 'utf8')
    const chunks = [...bytes].map(b => Uint8Array.of(b)) // one byte a chunk
    expect(texts(await collect(chunks))).to.deep.equal([[1, '{"t":"火🦄"}'], [2, '{"t":"é"}']])
  })

  it('select: asks about each non-blank line\'s bytes (no CR, no BOM) before decoding, and counts the lines it leaves out', () => {
    const asked: Array<[number, string]> = []
    const splitter = createLineSplitter({
      maxLineBytes: 8,
      select: (buf, start, end, lineNo) => { asked.push([lineNo, buf.toString('latin1', start, end)]); return lineNo % 2 === 1 },
    })
    const out: NdjsonLine[] = []
    splitter.push(Buffer.from('\ufeffa1\r\nb2\n\n  \nc3\ntoo-long-line\nd4', 'utf8'), out)
    splitter.end(out)
    expect(asked).to.deep.equal([[1, 'a1'], [2, 'b2'], [5, 'c3'], [7, 'd4']])
    expect(texts(out)).to.deep.equal([[1, 'a1'], [5, 'c3'], [6, '<oversize 13>'], [7, 'd4']])
    expect(splitter.unselected).to.equal(1)
  })

  it('accepts string chunks (a stream with setEncoding)', async () => {
    expect(texts(await collect(['x', 'y\nz']))).to.deep.equal([[1, 'xy'], [2, 'z']])
  })

  it('drops a UTF-8 byte order mark on line 1 only', async () => {
    const got = texts(await collect([Buffer.from('\ufeffa\n\ufeffb\n', 'utf8')]))
    expect(got).to.deep.equal([[1, 'a'], [2, '\ufeffb']])
  })

  it('reports a 1 MB line as oversize without keeping it, and continues', async () => {
    const big = 'x'.repeat(1024 * 1024)
    // fed in 64 KiB chunks like a file stream, the big line spans many chunks
    const all = Buffer.from(`first\n${big}\nlast\n`)
    const chunks: Buffer[] = []
    for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536))
    const got = await collect(chunks)
    expect(texts(got)).to.deep.equal([[1, 'first'], [2, `<oversize ${big.length}>`], [3, 'last']])
    const r = swapFromLine(got[1])
    expect(isSwapReject(r) && r.code).to.equal('OVERSIZE_RECORD')
  })

  it('holds no more than the limit while a 100 MB line streams through', () => {
    const splitter = createLineSplitter()
    const out: NdjsonLine[] = []
    const chunk = Buffer.alloc(64 * 1024, 0x78) // one buffer pushed repeatedly: the test itself allocates nothing
    splitter.push(Buffer.from('{"a":1}\n'), out)
    const before = process.memoryUsage().arrayBuffers
    for (let i = 0; i < 1600; i++) splitter.push(chunk, out)
    // a splitter that kept the line would hold 100 MB of copies right here
    expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(8 * 1024 * 1024)
    splitter.push(Buffer.from('\n{"b":2}'), out)
    splitter.end(out)
    expect(texts(out)).to.deep.equal([[1, '{"a":1}'], [2, `<oversize ${1600 * 64 * 1024}>`], [3, '{"b":2}']])
  })

  it('reports an oversize line inside a single chunk and an oversize last line', async () => {
    expect(texts(await collect(['a\n' + 'y'.repeat(50) + '\nb\n' + 'z'.repeat(40)], 32)))
      .to.deep.equal([[1, 'a'], [2, '<oversize 50>'], [3, 'b'], [4, '<oversize 40>']])
  })

  it('keeps a line of exactly maxLineBytes and a pending line that grows to exactly the limit', async () => {
    expect(texts(await collect(['1234\n12', '34\n12', '345\n'], 4)))
      .to.deep.equal([[1, '1234'], [2, '1234'], [3, '<oversize 5>']])
  })

  it('reports invalid UTF-8 as bad-utf8 but keeps a genuine U+FFFD', async () => {
    const bad = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')])
    const good = Buffer.from('{"id":"\ufffd"}\n', 'utf8')
    const got = await collect([bad, good])
    expect(got[0]).to.deep.equal({ kind: 'bad-utf8', lineNo: 1, bytes: bad.length - 1 })
    expect(texts([got[1]])).to.deep.equal([[2, '{"id":"\ufffd"}']])
    const r = swapFromLine(got[0])
    expect(isSwapReject(r) && r.code).to.equal('INVALID_JSON')
  })

  it('yields one batch per chunk that completes lines', async () => {
    const batches: number[] = []
    for await (const b of readNdjsonBatches(Readable.from(['a\nb\n', 'c', '\nd'], { objectMode: true }))) batches.push(b.length)
    expect(batches).to.deep.equal([2, 1, 1])
  })

  it('rejects a nonsensical maxLineBytes', () => {
    expect(() => createLineSplitter({ maxLineBytes: 0 })).to.throw(RangeError, /maxLineBytes/)
  })

  it('frames any chunking of any text the same as split("\\n") (property)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', '🦄', ' ', '\r', '{', '"'), maxLength: 12 })
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, cuts) => {
      const bytes = Buffer.from(lines.join('\n'), 'utf8')
      const points = [...new Set(cuts.map(c => bytes.length === 0 ? 0 : c % bytes.length))].sort((a, b) => a - b)
      const splitter = createLineSplitter({ maxLineBytes: 1000 })
      const out: NdjsonLine[] = []
      let prev = 0
      for (const p of [...points, bytes.length]) { splitter.push(bytes.subarray(prev, p), out); prev = p }
      splitter.end(out)
      const expected: Array<[number, string]> = []
      lines.join('\n').split('\n').forEach((l, i) => {
        const t = l.endsWith('\r') ? l.slice(0, -1) : l
        if (!/^[ \t]*$/.test(t)) expected.push([i + 1, t])
      })
      expect(texts(out)).to.deep.equal(expected)
    }), { numRuns: 300 })
  })

  it('reads the shipped sample file from disk, gzip-decompressed as the CLI reads it: 9,842 lines, all valid swaps', async () => {
    let n = 0
    for await (const batch of readNdjsonBatches(openInputFile(ETHEREUM_SAMPLE))) {
      for (const line of batch) {
        const r = swapFromLine(line)
        if (isSwapReject(r)) expect.fail(`line ${line.lineNo}: ${r.code} ${r.message}`)
        n++
      }
    }
    expect(n).to.equal(9842)
  })

  it('reads a file with CRLF endings, blank lines and a hostile line, and reports each by number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'volumer-ndjson-'))
    try {
      const file = join(dir, 'mixed.ndjson')
      const good = '{"id":"a","chain":"c","blockNumber":1,"logIndex":0,"blockTime":0,"token":"t","trader":"w","side":"BUY","amount":"1","amountUsd":"2"}'
      writeFileSync(file, [good, '', '[1,2]', 'x'.repeat(70000), good.replace('"BUY"', '"buy"'), good].join('\r\n'))
      const got: Array<[number, string]> = []
      for await (const line of readNdjsonLines(createReadStream(file, { highWaterMark: 4096 }))) {
        const r = swapFromLine(line)
        got.push([line.lineNo, isSwapReject(r) ? r.code : 'ok'])
      }
      expect(got).to.deep.equal([[1, 'ok'], [3, 'NOT_AN_OBJECT'], [4, 'OVERSIZE_RECORD'], [5, 'BAD_SIDE'], [6, 'ok']])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
