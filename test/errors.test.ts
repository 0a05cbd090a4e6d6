import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { ERROR_CODES } from '../src/errors.js'

const page = readFileSync(fileURLToPath(new URL('../docs/errors.md', import.meta.url)), 'utf8')

/** codes that have a table row: a line starting "| `CODE` |" */
function documentedCodes (): string[] {
  const codes: string[] = []
  for (const line of page.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)` \|(.+)\|$/.exec(line.trim())
    if (m !== null) codes.push(m[1])
  }
  return codes
}

describe('docs/errors.md', () => {
  it('has a table row for every code in ERROR_CODES', () => {
    const documented = new Set(documentedCodes())
    const missing = ERROR_CODES.filter(c => !documented.has(c))
    expect(missing, `add a row to docs/errors.md for: ${missing.join(', ')}`).to.deep.equal([])
  })

  it('documents no code that is not in ERROR_CODES, and none twice', () => {
    const known = new Set<string>(ERROR_CODES)
    const documented = documentedCodes()
    expect(documented.filter(c => !known.has(c)), 'stale rows').to.deep.equal([])
    expect(documented.filter((c, i) => documented.indexOf(c) !== i), 'duplicate rows').to.deep.equal([])
  })

  it('gives every row a meaning and an example', () => {
    for (const line of page.split('\n')) {
      const m = /^\| `([A-Z0-9_]+)` \|(.+)\|$/.exec(line.trim())
      if (m === null) continue
      // split on cell separators that are not escaped (\|) inside a cell
      const cells = m[2].split(/(?<!\\)\|/).map(c => c.trim())
      expect(cells.length, `${m[1]}: expected "meaning | example"`).to.equal(2)
      expect(cells[0].length, `${m[1]} meaning`).to.be.greaterThan(10)
      expect(cells[1].length, `${m[1]} example`).to.be.greaterThan(3)
    }
  })

  it('has unique codes in ERROR_CODES (never reused)', () => {
    expect(new Set(ERROR_CODES).size).to.equal(ERROR_CODES.length)
  })
})
