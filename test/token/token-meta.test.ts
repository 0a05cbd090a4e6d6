import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { createInProcessSchemaRegistry } from '../../src/codec/in-process-schema-registry.js'
import { createTokenMetaDecoder, createTokenMetaEncoder, tokenMetaToJson } from '../../src/codec/token-codec.js'
import { loadSchemaText } from '../../src/codec/schema-files.js'
import { VolumerError } from '../../src/errors.js'
import { isTokenReject, parseTokenMetaJson, tokenKey, validateTokenMeta, type TokenMeta } from '../../src/token/token-meta.js'
import { ETHEREUM_TOKENS } from '../helpers/sample-data.js'

const WETH = { chain: 'ethereum', token: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', symbol: 'WETH', name: 'Wrapped Ether', decimals: 18 }

function codeOf (v: unknown): string {
  return isTokenReject(v) ? v.code : 'ok'
}

describe('token metadata: validation', () => {
  it('accepts every line of the shipped samples/ethereum-mainnet-tokens.ndjson', () => {
    const lines = readFileSync(ETHEREUM_TOKENS, 'utf8').split('\n').filter(l => l.length > 0)
    expect(lines).to.have.length(125)
    const keys = new Set<string>()
    for (const line of lines) {
      const m = parseTokenMetaJson(line)
      expect(isTokenReject(m), line).to.equal(false)
      keys.add(tokenKey(m as TokenMeta))
    }
    expect(keys.size).to.equal(125)
  })

  it('keeps an optional logoUrl and treats null as absent', () => {
    const m = validateTokenMeta({ ...WETH, logoUrl: 'https://example.org/weth.png' }) as TokenMeta
    expect(m.logoUrl).to.equal('https://example.org/weth.png')
    expect(validateTokenMeta({ ...WETH, logoUrl: null })).to.deep.equal(WETH)
  })

  const cases: Array<[string, unknown, string]> = [
    ['not JSON', '{"chain":', 'INVALID_JSON'],
    ['an array', '[]', 'NOT_AN_OBJECT'],
    ['no symbol', JSON.stringify({ ...WETH, symbol: undefined }), 'MISSING_FIELD'],
    ['null name', JSON.stringify({ ...WETH, name: null }), 'MISSING_FIELD'],
    ['no decimals', JSON.stringify({ ...WETH, decimals: undefined }), 'MISSING_FIELD'],
    ['numeric symbol', JSON.stringify({ ...WETH, symbol: 1 }), 'BAD_TYPE'],
    ['empty name', JSON.stringify({ ...WETH, name: '' }), 'BAD_TYPE'],
    ['control char in name', JSON.stringify({ ...WETH, name: 'W\u0000' }), 'BAD_TYPE'],
    ['unpaired surrogate', JSON.stringify({ ...WETH, symbol: 'A\ud800' }), 'BAD_TYPE'],
    ['decimals as string', JSON.stringify({ ...WETH, decimals: '18' }), 'BAD_TYPE'],
    ['negative decimals', JSON.stringify({ ...WETH, decimals: -1 }), 'BAD_DECIMALS'],
    ['fractional decimals', JSON.stringify({ ...WETH, decimals: 1.5 }), 'BAD_DECIMALS'],
    ['decimals 256', JSON.stringify({ ...WETH, decimals: 256 }), 'BAD_DECIMALS'],
    ['symbol of 65', JSON.stringify({ ...WETH, symbol: 'S'.repeat(65) }), 'OVERSIZE_FIELD'],
    ['chain of 33', JSON.stringify({ ...WETH, chain: 'c'.repeat(33) }), 'OVERSIZE_FIELD'],
    ['javascript: logo', JSON.stringify({ ...WETH, logoUrl: 'javascript:alert(1)' }), 'BAD_URL'],
    ['relative logo', JSON.stringify({ ...WETH, logoUrl: '/weth.png' }), 'BAD_URL'],
    ['9 KiB record', JSON.stringify({ ...WETH, pad: 'x'.repeat(9000) }), 'OVERSIZE_RECORD'],
  ]
  for (const [what, text, code] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const r = parseTokenMetaJson(text as string)
      expect(codeOf(r)).to.equal(code)
      if (isTokenReject(r)) expect(r.ok).to.equal(false)
    })
  }

  it('decimals 0 and 255 are the bounds', () => {
    expect(codeOf(validateTokenMeta({ ...WETH, decimals: 0 }))).to.equal('ok')
    expect(codeOf(validateTokenMeta({ ...WETH, decimals: 255 }))).to.equal('ok')
  })

  it('rejects a value filed under another token\'s key with KEY_MISMATCH', () => {
    expect(codeOf(validateTokenMeta(WETH, 'ethereum:' + WETH.token))).to.equal('ok')
    expect(codeOf(validateTokenMeta(WETH, 'ethereum:0xdead'))).to.equal('KEY_MISMATCH')
  })
})

describe('token metadata: codec', () => {
  it('round-trips through Avro (registered as tokens-value) and JSON', async () => {
    const registry = await createInProcessSchemaRegistry()
    const enc = await createTokenMetaEncoder(registry)
    const dec = createTokenMetaDecoder({ registry })
    const withLogo = { ...WETH, logoUrl: 'https://example.org/w.png' }
    for (const m of [WETH, withLogo]) {
      expect(validateTokenMeta(await dec.decodeAsync(enc.encode(m)))).to.deep.equal(m)
      expect(validateTokenMeta(dec.decode(Buffer.from(tokenMetaToJson(m))))).to.deep.equal(m)
    }
    // registered like the swap schema: registering the file again under tokens-value finds the same id
    expect(await registry.register('tokens-value', loadSchemaText('token'))).to.equal(enc.id)
  })

  it('throws typed errors for values that are neither Avro nor JSON', async () => {
    const dec = createTokenMetaDecoder({ registry: await createInProcessSchemaRegistry() })
    for (const [v, code] of [[Buffer.from([0x7f]), 'UNDECODABLE'], [Buffer.from('{x'), 'INVALID_JSON'], [Buffer.alloc(0), 'UNDECODABLE']] as const) {
      let got = 'none'
      try { dec.decode(v) } catch (err) { expect(err).to.be.instanceOf(VolumerError); got = (err as VolumerError).code }
      expect(got).to.equal(code)
    }
  })
})
