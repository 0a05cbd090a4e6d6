/**
 * token-shard.ts places a line by its bytes only when JSON.parse must agree: whenever it names a
 * shard and the line parses to an object with a string token, that token's shard is the one
 * named. Checked on hand-made traps and on fast-check lines built from JSON fragments that
 * mention `token` in every way a line can (nested, escaped, duplicated, spaced, as a value).
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { TokenShardScanner, UNCERTAIN, shardOfToken } from '../../src/batch/token-shard.js'

/** What the scanner says about each line of `lines`, read as one buffer the way a worker reads a chunk. */
function scan (lines: string[], shards: number): number[] {
  const buf = Buffer.from(lines.join('\n') + '\n', 'utf8')
  const scanner = new TokenShardScanner(shards)
  const out: number[] = []
  let start = 0
  for (;;) {
    const nl = buf.indexOf(10, start)
    if (nl === -1) return out
    out.push(scanner.shardOf(buf, start, nl))
    start = nl + 1
  }
}

/** The token JSON.parse gives the line, if it gives an object with a string token. */
function parsedToken (line: string): string | undefined {
  try {
    const o = JSON.parse(line) as unknown
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
      const t = (o as Record<string, unknown>).token
      if (typeof t === 'string') return t
    }
  } catch { /* not JSON: any shard may report it */ }
  return undefined
}

function checkAgrees (lines: string[], shards: number): void {
  const got = scan(lines, shards)
  lines.forEach((line, i) => {
    const token = parsedToken(line)
    if (got[i] !== UNCERTAIN && token !== undefined) expect(got[i], line).to.equal(shardOfToken(token, shards))
  })
}

describe('token-shard', () => {
  const plain = '{"id":"0xab:1","chain":"ethereum","blockTime":"2021-06-16T01:51:54.000Z","token":"0xdf4e","quoteToken":"0xc02a","trader":"0xe4dc","side":"BUY","amount":"1","amountUsd":"2"}'

  it('places a plain line by its token, as shardOfToken does for the parsed value', () => {
    for (const shards of [1, 2, 3, 7]) {
      const [s] = scan([plain], shards)
      expect(s).to.equal(shardOfToken('0xdf4e', shards))
    }
  })

  it('spreads tokens over the shards', () => {
    const counts = [0, 0, 0]
    for (let i = 0; i < 3000; i++) counts[shardOfToken('0x' + i.toString(16).padStart(40, '0'), 3)]++
    for (const c of counts) expect(c).to.be.within(850, 1150)
  })

  it('hashes a non-ASCII token by its UTF-8 bytes on both routes', () => {
    const line = plain.replace('0xdf4e', 'ü🦄é')
    expect(scan([line], 5)[0]).to.equal(shardOfToken('ü🦄é', 5))
  })

  it('leaves every line it cannot read exactly to all shards (UNCERTAIN)', () => {
    const traps = [
      plain.replace('"token"', '"tok\\u0065n"'), // an escaped key: JSON.parse reads token
      plain.replace('"id":"0xab:1"', '"id":"0xab\\"1"'), // any backslash
      plain.replace('"token":"0xdf4e"', '"token":"0xdf4e","token":"0xbeef"'), // duplicate key: the last wins
      plain.replace('"token":"0xdf4e"', '"token" : "0xdf4e"'), // spaced
      plain.replace('"token":"0xdf4e"', '"token":12'), // not a string
      plain.replace('"token":"0xdf4e",', '"meta":{"token":"0xaa"},"tok\\u0065n":"0xbb",'), // nested and escaped
      '{"token":"unterminated',
      '{"token":',
    ]
    for (const line of traps) expect(scan([line], 4)[0], line).to.equal(UNCERTAIN)
  })

  it('a nested token key with no top-level one is placed, and parses to no token (MISSING_FIELD)', () => {
    const line = plain.replace('"token":"0xdf4e"', '"meta":{"token":"0xaa"}')
    expect(scan([line], 4)[0]).to.not.equal(UNCERTAIN)
    expect(parsedToken(line)).to.equal(undefined)
  })

  it('keeps its searches right when a chunk of lines without the key comes between lines with it', () => {
    const lines = [plain, '{"x":1}', '{"y":2}', plain.replace('0xdf4e', '0x1234'), '', 'garbage', plain.replace('0xdf4e', '0x9999')]
    const got = scan(lines, 3)
    expect(got).to.deep.equal([shardOfToken('0xdf4e', 3), UNCERTAIN, UNCERTAIN, shardOfToken('0x1234', 3), UNCERTAIN, UNCERTAIN, shardOfToken('0x9999', 3)])
  })

  it('restarts its searches on a buffer refilled in place', () => {
    const scanner = new TokenShardScanner(3)
    const a = Buffer.from('{"x":"\\\\"}\n' + plain + '\n', 'utf8')
    const buf = Buffer.alloc(a.length)
    a.copy(buf)
    const nl = buf.indexOf(10)
    expect(scanner.shardOf(buf, 0, nl)).to.equal(UNCERTAIN)
    expect(scanner.shardOf(buf, nl + 1, buf.length - 1)).to.equal(shardOfToken('0xdf4e', 3))
    // the same Buffer now holds a plain line first: the old backslash must not be remembered
    const b = Buffer.from(plain + '\n', 'utf8')
    b.copy(buf)
    expect(scanner.shardOf(buf, 0, b.length - 1)).to.equal(shardOfToken('0xdf4e', 3))
  })

  it('agrees with JSON.parse on lines built from fragments that mention token (property)', () => {
    const str = fc.oneof(
      fc.constantFrom('token', 'tok\\u0065n', '0xaa', '0xbb', 'a\\"b', 'ü', '\\\\', '', ' token', 'token"'),
      fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s).slice(1, -1)),
    )
    const key = fc.constantFrom('"token"', '"tok\\u0065n"', '"x"', '"quoteToken"', '"token" ', ' "token"', '"Token"')
    const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        str.map((s) => `"${s}"`),
        fc.constantFrom('1', 'null', 'true', '"token"'),
        fc.array(fc.tuple(key, tie('v')), { maxLength: 3 }).map((kvs) => '{' + kvs.map(([k, v]) => `${k}:${v}`).join(',') + '}'),
      ),
    })).v
    // half the objects start with a plain token pair, so that many lines are placed at all
    const object = fc.tuple(fc.boolean(), fc.array(fc.tuple(key, fc.constantFrom(':', ' : ', ':'), value), { maxLength: 5 }))
      .map(([lead, kvs]) => '{' + [...(lead ? ['"token":"0xcc"'] : []), ...kvs.map(([k, c, v]) => k + c + v)].join(',') + '}')
    // sometimes broken on purpose: a parse failure must not matter either
    const line = fc.tuple(object, fc.nat(3)).map(([o, cut]) => cut === 0 ? o.slice(0, Math.max(1, o.length - 3)) : o)
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 5 }), (lines, shards) => {
      checkAgrees(lines, shards)
    }), { numRuns: 2000 })
  })
})
