import { expect } from 'chai'
import { parseSwapJson, validateSwapObject, MAX_RECORD_BYTES, FIELD_LIMITS, utf8Length } from '../../src/swap/parse-swap.js'
import { SwapReject, isSwapReject, type SwapRejectCode } from '../../src/swap/swap-reject.js'
import { BUY, SELL, type Swap } from '../../src/swap/swap.js'
import { decimalToString } from '../../src/swap/decimal18.js'

import { readSampleLines } from '../helpers/sample-data.js'

function base (): Record<string, unknown> {
  return {
    id: '0x64df7ba100de80e1c6c97d98a43a6488e2777c2f843dac43f83db1a20f54bf05:4',
    chain: 'ethereum',
    blockNumber: 12634810,
    logIndex: 2000,
    blockTime: '2021-06-16T01:51:54.000Z',
    token: '0xdf4ede4e752d36b1d4be56b759e84642e63aa1cd',
    quoteToken: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2',
    pool: '0x8c4fb4303567a1b46377776465d60d1db469f27d',
    trader: '0xe4dc669a5ff28802e976fe2d38dbff1a28cd5f6c',
    side: 'SELL',
    amount: '1.6552301435347717',
    amountUsd: '144.434107',
  }
}

/** the canonical record with one field replaced (undefined removes it), as JSON text */
function json (field?: string, value?: unknown): string {
  const o = base()
  if (field !== undefined) {
    if (value === undefined) delete o[field]
    else o[field] = value
  }
  return JSON.stringify(o)
}

/** the canonical record with one field's JSON text spliced in raw (for things JSON.stringify cannot write) */
function raw (field: string, rawValue: string): string {
  const o = base()
  o[field] = '@@RAW@@'
  return JSON.stringify(o).replace('"@@RAW@@"', rawValue)
}

function ok (text: string): Swap {
  const r = parseSwapJson(text)
  if (isSwapReject(r)) throw new Error(`expected a swap, got ${r.code}: ${r.message}`)
  return r
}

function rejects (text: string, code: SwapRejectCode, field?: string): SwapReject {
  const r = parseSwapJson(text)
  expect(isSwapReject(r), `expected ${code}, got a swap`).to.equal(true)
  const rej = r as SwapReject
  expect(rej.code, rej.message).to.equal(code)
  expect(rej.ok).to.equal(false)
  if (field !== undefined) {
    expect(rej.field).to.equal(field)
    expect(rej.message).to.contain(field)
  }
  return rej
}

describe('parseSwapJson', () => {
  describe('the canonical record', () => {
    it('decodes every field', () => {
      const s = ok(json())
      expect(s.id).to.equal(base().id)
      expect(s.chain).to.equal('ethereum')
      expect(s.blockNumber).to.equal(12634810)
      expect(s.logIndex).to.equal(2000)
      expect(s.blockTime).to.equal(Date.parse('2021-06-16T01:51:54.000Z'))
      expect(s.token).to.equal('0xdf4ede4e752d36b1d4be56b759e84642e63aa1cd')
      expect(s.quoteToken).to.equal('0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2')
      expect(s.pool).to.equal('0x8c4fb4303567a1b46377776465d60d1db469f27d')
      expect(s.trader).to.equal('0xe4dc669a5ff28802e976fe2d38dbff1a28cd5f6c')
      expect(s.side).to.equal(SELL)
      expect(decimalToString(s.amount)).to.equal('1.6552301435347717')
      expect(decimalToString(s.amountUsd)).to.equal('144.434107')
      expect(s.price).to.equal(144.434107 / 1.6552301435347717)
    })

    it('maps BUY to BUY', () => {
      expect(ok(json('side', 'BUY')).side).to.equal(BUY)
    })

    it('accepts blockTime as integer milliseconds', () => {
      expect(ok(json('blockTime', 1623808314000)).blockTime).to.equal(1623808314000)
    })

    it('treats absent or null quoteToken and pool as undefined', () => {
      expect(ok(json('quoteToken')).quoteToken).to.equal(undefined)
      expect(ok(json('pool', null)).pool).to.equal(undefined)
    })

    it('ignores unknown fields, including nested ones', () => {
      const s = ok(raw('extra', '{"deep":[1,2,{"x":null}]}'))
      expect(s).to.not.have.property('extra')
    })

    it('keeps chain and token exactly as given (case-sensitive)', () => {
      const s = ok(JSON.stringify({ ...base(), chain: 'Solana', token: 'So11111111111111111111111111111111111111112' }))
      expect(s.chain).to.equal('Solana')
      expect(s.token).to.equal('So11111111111111111111111111111111111111112')
    })

    it('keeps the last value of a duplicated key (JSON.parse semantics)', () => {
      const text = json().replace('"side":"SELL"', '"side":"SELL","side":"BUY"')
      expect(ok(text).side).to.equal(BUY)
    })

    it('accepts unicode ids and tokens, including surrogate pairs', () => {
      const s = ok(JSON.stringify({ ...base(), id: 'tx-ünïcødé-🦄:1', token: 'ΔTOKEN-火' }))
      expect(s.id).to.equal('tx-ünïcødé-🦄:1')
      expect(s.token).to.equal('ΔTOKEN-火')
    })

    it('accepts integers written with an exponent or a zero fraction (the value counts)', () => {
      expect(ok(raw('blockNumber', '1.2634810e7')).blockNumber).to.equal(12634810)
      expect(ok(raw('logIndex', '2000.0')).logIndex).to.equal(2000)
    })

    it('accepts 0 for blockNumber and logIndex and the largest safe integer', () => {
      expect(ok(json('logIndex', 0)).logIndex).to.equal(0)
      expect(ok(json('blockNumber', Number.MAX_SAFE_INTEGER)).blockNumber).to.equal(Number.MAX_SAFE_INTEGER)
    })

    it('accepts 30 fraction digits when the digits past the 18th are zeros', () => {
      const s = ok(json('amount', '1.' + '5'.repeat(18) + '0'.repeat(12)))
      expect(decimalToString(s.amount)).to.equal('1.' + '5'.repeat(18))
    })

    it('accepts fields at exactly their size limit', () => {
      for (const [field, max] of Object.entries(FIELD_LIMITS)) {
        expect(isSwapReject(parseSwapJson(json(field, 'a'.repeat(max)))), field).to.equal(false)
      }
    })
  })

  describe('INVALID_JSON', () => {
    for (const [name, text] of [
      ['garbage', 'not json'],
      ['a truncated object', json().slice(0, -5)],
      ['an empty string', ''],
      ['NaN as a bare word', raw('blockNumber', 'NaN')],
      ['Infinity as a bare word', raw('blockNumber', 'Infinity')],
      ['a leading + on a number', raw('blockNumber', '+12634810')],
      ['a trailing comma', json().slice(0, -1) + ',}'],
      ['single quotes', "{'id':'x'}"],
      ['a raw control character inside a string', json('id', 'ab').replace('ab', 'a\u0001b')],
    ] as const) {
      it(`rejects ${name}`, () => {
        const r = rejects(text, 'INVALID_JSON')
        expect(r.message).to.match(/^record is not valid JSON/)
      })
    }

    it('clips the echo of a long bad input in its message', () => {
      const r = rejects('{"id": x' + 'y'.repeat(10000) + '}', 'INVALID_JSON')
      expect(r.message.length).to.be.lessThan(250)
    })
  })

  describe('NOT_AN_OBJECT', () => {
    for (const text of ['[]', '[' + json() + ']', 'null', '42', '"swap"', 'true']) {
      it(`rejects ${text.slice(0, 20)}`, () => {
        rejects(text, 'NOT_AN_OBJECT')
      })
    }
  })

  describe('MISSING_FIELD', () => {
    for (const field of ['id', 'chain', 'blockNumber', 'logIndex', 'blockTime', 'token', 'trader', 'side', 'amount', 'amountUsd']) {
      it(`rejects a record without ${field}`, () => {
        rejects(json(field), 'MISSING_FIELD', field)
      })
      it(`rejects a record whose ${field} is null`, () => {
        rejects(json(field, null), 'MISSING_FIELD', field)
      })
    }

    it('reports the first missing field in SPEC order', () => {
      const o = base()
      delete o.trader
      delete o.id
      const r = parseSwapJson(JSON.stringify(o)) as SwapReject
      expect(r.field).to.equal('id')
    })

    it('rejects an empty object', () => {
      rejects('{}', 'MISSING_FIELD', 'id')
    })
  })

  describe('BAD_TYPE', () => {
    for (const field of ['id', 'chain', 'token', 'quoteToken', 'pool', 'trader']) {
      it(`rejects ${field} as a number, an object, an array, a boolean`, () => {
        for (const v of [42, { a: 1 }, ['x'], true]) rejects(json(field, v), 'BAD_TYPE', field)
      })
      it(`rejects ${field} as an empty string`, () => {
        rejects(json(field, ''), 'BAD_TYPE', field)
      })
      it(`rejects ${field} with a control character (escaped in the JSON)`, () => {
        for (const bad of ['a\u0000b', 'a\nb', 'tab\t', '\u007f', 'c1\u0085']) {
          const r = rejects(json(field, bad), 'BAD_TYPE', field)
          expect(r.message).to.contain('control character')
        }
      })
      it(`rejects ${field} with an unpaired surrogate`, () => {
        for (const bad of ['\ud800', 'a\udc00b', 'x\ud83d', '\udc00\ud800']) {
          const r = rejects(raw(field, JSON.stringify(bad)), 'BAD_TYPE', field)
          expect(r.message).to.contain('surrogate')
        }
      })
    }

    it('rejects blockNumber and logIndex given as strings', () => {
      rejects(json('blockNumber', '12634810'), 'BAD_TYPE', 'blockNumber')
      rejects(json('logIndex', '2000'), 'BAD_TYPE', 'logIndex')
    })

    it('rejects amounts given as JSON numbers (precision already lost)', () => {
      const r = rejects(raw('amount', '1.6552301435347717'), 'BAD_TYPE', 'amount')
      expect(r.message).to.contain('not a JSON number')
      rejects(raw('amountUsd', '144.434107'), 'BAD_TYPE', 'amountUsd')
    })

    it('rejects amounts as objects or arrays', () => {
      rejects(json('amount', { value: '1' }), 'BAD_TYPE', 'amount')
      rejects(json('amountUsd', ['1']), 'BAD_TYPE', 'amountUsd')
    })

    it('rejects side and blockTime of the wrong type', () => {
      rejects(json('side', 0), 'BAD_TYPE', 'side')
      rejects(json('side', ['BUY']), 'BAD_TYPE', 'side')
      rejects(json('blockTime', { t: 1 }), 'BAD_TYPE', 'blockTime')
      rejects(json('blockTime', true), 'BAD_TYPE', 'blockTime')
    })
  })

  describe('BAD_SIDE', () => {
    for (const side of ['buy', 'Sell', 'BUY ', ' SELL', 'LONG', '', 'B']) {
      it(`rejects side ${JSON.stringify(side)}`, () => {
        rejects(json('side', side), 'BAD_SIDE', 'side')
      })
    }
  })

  describe('BAD_AMOUNT', () => {
    for (const [name, v] of [
      ['zero', '0'],
      ['zero with a fraction', '0.000'],
      ['negative', '-1'],
      ['a leading +', '+1'],
      ['exponent notation', '1e5'],
      ['upper-case exponent', '1.5E-3'],
      ['a leading dot', '.5'],
      ['a trailing dot', '5.'],
      ['an empty string', ''],
      ['spaces', ' 1'],
      ['a comma', '1,5'],
      ['hex', '0x10'],
      ['NaN', 'NaN'],
      ['Infinity', 'Infinity'],
      ['19 integer digits', '1' + '0'.repeat(18)],
      ['30 significant decimals', '0.' + '1'.repeat(30)],
      ['non-ASCII digits', '١٢'],
      ['an absurd length', '1'.repeat(10000)],
    ] as const) {
      it(`rejects amount ${name}`, () => {
        rejects(json('amount', v), 'BAD_AMOUNT', 'amount')
        rejects(json('amountUsd', v), 'BAD_AMOUNT', 'amountUsd')
      })
    }

    it('echoes at most a clipped slice of the bad amount', () => {
      const r = rejects(json('amount', '9'.repeat(5000)), 'BAD_AMOUNT', 'amount')
      expect(r.message.length).to.be.lessThan(200)
    })
  })

  describe('BAD_TIME', () => {
    for (const t of [
      '2021-06-16T01:51:54.000', // no zone
      '2021-06-16 01:51:54.000Z', // space separator
      '2021-02-29T00:00:00Z', // not a leap year
      '2021-06-16T01:51:60Z', // leap second
      '1969-12-31T23:59:59.999Z', // before the epoch
      '2021-06-16', // date only
      'yesterday',
      '',
    ]) {
      it(`rejects blockTime ${JSON.stringify(t)}`, () => {
        rejects(json('blockTime', t), 'BAD_TIME', 'blockTime')
      })
    }
    for (const [name, rawValue] of [
      ['a fraction of a ms', '1623808314000.5'],
      ['a negative number', '-1'],
      ['-0', '-0'],
      ['1e400 (Infinity after JSON.parse)', '1e400'],
      ['beyond year 9999', '253402300800000'],
    ] as const) {
      it(`rejects blockTime as ${name}`, () => {
        rejects(raw('blockTime', rawValue), 'BAD_TIME', 'blockTime')
      })
    }
  })

  describe('BAD_NUMBER', () => {
    for (const [name, rawValue] of [
      ['1e400', '1e400'],
      ['-1e400', '-1e400'],
      ['-0', '-0'],
      ['-0.0', '-0.0'],
      ['a fraction', '1.5'],
      ['a negative', '-3'],
      ['2^53', '9007199254740992'],
      ['2^53 + 1 (parses to 2^53)', '9007199254740993'],
      ['a huge integer', '123456789012345678901234567890'],
    ] as const) {
      it(`rejects blockNumber and logIndex as ${name}`, () => {
        rejects(raw('blockNumber', rawValue), 'BAD_NUMBER', 'blockNumber')
        rejects(raw('logIndex', rawValue), 'BAD_NUMBER', 'logIndex')
      })
    }
  })

  describe('OVERSIZE_FIELD', () => {
    for (const [field, max] of Object.entries(FIELD_LIMITS)) {
      it(`rejects ${field} longer than ${max}`, () => {
        const r = rejects(json(field, 'a'.repeat(max + 1)), 'OVERSIZE_FIELD', field)
        expect(r.message).to.contain(String(max))
      })
    }
  })

  describe('OVERSIZE_RECORD', () => {
    it('rejects a record over 64 KiB before parsing it', () => {
      // deliberately invalid JSON: the size check must come first, so the code is OVERSIZE_RECORD
      rejects('{' + ' '.repeat(MAX_RECORD_BYTES), 'OVERSIZE_RECORD')
    })

    it('rejects a 1 MB line', () => {
      rejects(json('padding', 'x'.repeat(1024 * 1024)), 'OVERSIZE_RECORD')
    })

    it('counts UTF-8 bytes, not UTF-16 units', () => {
      // 30,000 'é' are 30,000 units but 60,000 bytes: under the limit; 40,000 are 80,000 bytes: over
      ok(json('padding', 'é'.repeat(30000)))
      rejects(json('padding', 'é'.repeat(40000)), 'OVERSIZE_RECORD')
    })

    it('counts 3-byte characters as 3 bytes: 22,000 "火" are 66,000 bytes, not 44,000', () => {
      // 22,000 '火' are 22,000 units (44,000 if each were 2 bytes, like 'é') but 66,000 bytes:
      // a size check that assumes at most 2 bytes per unit lets it through
      const over = json('padding', '火'.repeat(22000))
      expect(over.length * 2).to.be.below(MAX_RECORD_BYTES)
      expect(Buffer.byteLength(over, 'utf8')).to.be.above(MAX_RECORD_BYTES)
      const r = rejects(over, 'OVERSIZE_RECORD')
      expect(r.message).to.contain(String(Buffer.byteLength(over, 'utf8')))
      // and just under the limit in bytes, it is accepted
      const under = json('padding', '火'.repeat(21000))
      expect(Buffer.byteLength(under, 'utf8')).to.be.below(MAX_RECORD_BYTES)
      ok(under)
    })

    it('accepts a record of exactly 64 KiB', () => {
      const text = json('padding', '')
      const exact = json('padding', 'x'.repeat(MAX_RECORD_BYTES - text.length))
      expect(exact.length).to.equal(MAX_RECORD_BYTES)
      ok(exact)
      rejects(json('padding', 'x'.repeat(MAX_RECORD_BYTES - text.length + 1)), 'OVERSIZE_RECORD')
    })
  })

  it('utf8Length agrees with Buffer.byteLength', () => {
    for (const s of ['', 'abc', 'é', '火', '🦄', 'a\ud800b', '\udc00', 'x🦄é火\ud83d']) {
      expect(utf8Length(s), JSON.stringify(s)).to.equal(Buffer.byteLength(s, 'utf8'))
    }
  })

  it('parses every line of the shipped sample data', () => {
    const lines = readSampleLines()
    expect(lines.length).to.equal(9842)
    const ids = new Set<string>()
    for (let i = 0; i < lines.length; i++) {
      const r = parseSwapJson(lines[i])
      if (isSwapReject(r)) expect.fail(`line ${i + 1}: ${r.code} ${r.message}`)
      const raw = JSON.parse(lines[i]) as { amount: string, amountUsd: string, blockTime: string }
      // the exact decimals round-trip modulo trailing zeros, and the time matches Date.parse
      expect(decimalToString(r.amount)).to.equal(trimZeros(raw.amount))
      expect(decimalToString(r.amountUsd)).to.equal(trimZeros(raw.amountUsd))
      expect(r.blockTime).to.equal(Date.parse(raw.blockTime))
      expect(r.price).to.be.greaterThan(0).and.lessThan(Infinity)
      ids.add(r.id)
    }
    expect(ids.size).to.equal(lines.length)
  })
})

describe('validateSwapObject', () => {
  it('validates an already-decoded object (the Avro path) the same way', () => {
    const s = validateSwapObject({ ...base(), blockTime: 1623808314000 })
    expect(isSwapReject(s)).to.equal(false)
  })

  it('rejects NaN and Infinity numbers that JSON cannot carry but objects can', () => {
    expect((validateSwapObject({ ...base(), blockNumber: NaN }) as SwapReject).code).to.equal('BAD_NUMBER')
    expect((validateSwapObject({ ...base(), logIndex: Infinity }) as SwapReject).code).to.equal('BAD_NUMBER')
    expect((validateSwapObject({ ...base(), blockTime: NaN }) as SwapReject).code).to.equal('BAD_TIME')
  })

  it('rejects non-objects, functions included', () => {
    for (const v of [undefined, null, 1, 'x', [], () => 1]) {
      const r = validateSwapObject(v)
      expect(isSwapReject(r) ? r.code : 'accepted', String(v)).to.equal('NOT_AN_OBJECT')
    }
  })

  it('does not read fields through the prototype chain of a JSON __proto__ key', () => {
    const r = parseSwapJson('{"__proto__":' + json() + '}')
    expect(isSwapReject(r) && r.code).to.equal('MISSING_FIELD')
  })

  it('returns SwapReject instances that carry ok: false and serialise cleanly', () => {
    const r = validateSwapObject({}) as SwapReject
    expect(r).to.be.instanceOf(SwapReject)
    expect(JSON.parse(JSON.stringify(r))).to.deep.equal({ ok: false, code: 'MISSING_FIELD', message: 'id is missing', field: 'id' })
  })
})

function trimZeros (s: string): string {
  if (!s.includes('.')) return s.replace(/^0+(?=\d)/, '')
  return s.replace(/^0+(?=\d)/, '').replace(/0+$/, '').replace(/\.$/, '')
}

describe('parseSwapJson: chain names in keys', () => {
  it('rejects a chain containing ":" (regression: chain "a:b" + token "c" collided with chain "a" + token "b:c")', async () => {
    const { parseSwapJson } = await import('../../src/swap/parse-swap.js')
    const line = JSON.stringify({ id: 'x', chain: 'a:b', blockNumber: 1, logIndex: 0, blockTime: '2021-06-16T01:51:54.000Z', token: 'c', trader: 't', side: 'BUY', amount: '1', amountUsd: '1' })
    const r = parseSwapJson(line) as { code?: string, field?: string }
    expect(r.code).to.equal('BAD_TYPE')
    expect(r.field).to.equal('chain')
  })
})
