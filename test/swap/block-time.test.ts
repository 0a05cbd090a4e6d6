import { expect } from 'chai'
import fc from 'fast-check'
import { parseBlockTime, parseIsoTime, MAX_BLOCK_TIME_MS } from '../../src/swap/block-time.js'

describe('block-time', () => {
  const valid: Array<[string, number]> = [
    ['2021-06-16T01:51:54.000Z', Date.UTC(2021, 5, 16, 1, 51, 54)],
    ['2021-06-16T01:51:54Z', Date.UTC(2021, 5, 16, 1, 51, 54)],
    ['2021-06-16T01:51:54.5Z', Date.UTC(2021, 5, 16, 1, 51, 54, 500)],
    ['2021-06-16T01:51:54.25Z', Date.UTC(2021, 5, 16, 1, 51, 54, 250)],
    // digits past the millisecond are truncated, never rounded up into the next ms
    ['2021-06-16T01:51:54.123999999Z', Date.UTC(2021, 5, 16, 1, 51, 54, 123)],
    ['2021-06-16T03:51:54.000+02:00', Date.UTC(2021, 5, 16, 1, 51, 54)],
    ['2021-06-15T20:21:54.000-05:30', Date.UTC(2021, 5, 16, 1, 51, 54)],
    ['2021-06-16T01:51:54.000-00:00', Date.UTC(2021, 5, 16, 1, 51, 54)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['1970-01-01T00:00:00.000Z', 0],
    ['9999-12-31T23:59:59.999Z', MAX_BLOCK_TIME_MS],
  ]
  for (const [text, ms] of valid) {
    it(`accepts ${text}`, () => {
      expect(parseIsoTime(text)).to.equal(ms)
    })
  }

  const invalid = [
    '2021-06-16T01:51:54.000', // no zone
    '2021-06-16t01:51:54.000Z', // lower-case t
    '2021-06-16T01:51:54.000z', // lower-case z
    '2021-06-16 01:51:54.000Z', // space
    '2021-06-16T01:51:54.Z', // dot without digits
    '2021-06-16T01:51:54.1234567890Z', // ten fraction digits
    '2021-06-16T01:51:54+0200', // offset without colon
    '2021-06-16T01:51:54+02', // short offset
    '2021-06-16T01:51:54+24:00', // offset hour out of range
    '2021-06-16T01:51:54Z ', // trailing space
    ' 2021-06-16T01:51:54Z', // leading space
    '2021-13-01T00:00:00Z',
    '2021-00-01T00:00:00Z',
    '2021-04-31T00:00:00Z',
    '2021-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2021-06-00T00:00:00Z',
    '2021-06-16T24:00:00Z',
    '2021-06-16T23:60:00Z',
    '2021-06-16T23:59:60Z',
    '1969-12-31T23:59:59.999Z',
    '0070-01-01T00:00:00Z', // Date.UTC would read year 70 as 1970
    '1970-01-01T00:30:00+01:00', // before the epoch once the offset applies
    '+02021-06-16T01:51:54Z', // extended year
    '2021-6-16T01:51:54Z',
    '２０２１-06-16T01:51:54Z', // full-width digits
    '2021-06-16T01:51:54.000Z\u0000',
    '',
  ]
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(parseIsoTime(text)).to.be.NaN
    })
  }

  it('accepts integer ms and rejects non-integers, negatives, -0 and beyond year 9999', () => {
    expect(parseBlockTime(0)).to.equal(0)
    expect(parseBlockTime(1623808314000)).to.equal(1623808314000)
    expect(parseBlockTime(MAX_BLOCK_TIME_MS)).to.equal(MAX_BLOCK_TIME_MS)
    for (const bad of [-0, -1, 0.5, NaN, Infinity, -Infinity, MAX_BLOCK_TIME_MS + 1, 2 ** 53]) {
      expect(parseBlockTime(bad), String(bad)).to.be.NaN
    }
  })

  it('agrees with Date for every ms in range (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_BLOCK_TIME_MS }), ms => {
      expect(parseIsoTime(new Date(ms).toISOString())).to.equal(ms)
    }), { numRuns: 2000 })
  })

  it('agrees with Date.parse on offsets (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 86400000, max: MAX_BLOCK_TIME_MS - 86400000 }),
      fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
      (ms, offset) => {
        const local = new Date(ms + offset * 60000).toISOString().slice(0, 23)
        const sign = offset < 0 ? '-' : '+'
        const a = Math.abs(offset)
        const text = `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
        expect(parseIsoTime(text)).to.equal(ms)
        expect(Date.parse(text)).to.equal(ms)
      }), { numRuns: 1000 })
  })
})
