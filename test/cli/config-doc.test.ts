import { expect } from 'chai'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../helpers/sample-data.js'

describe('docs/config.md', () => {
  it('documents every VOLUMER_* variable the commands read', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'config.md'), 'utf8')
    const dir = join(REPO_ROOT, 'src', 'cli')
    const used = new Set<string>()
    for (const f of readdirSync(dir)) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/VOLUMER_[A-Z_]+/g)) used.add(m[0])
    }
    expect(used.size).to.be.greaterThan(10)
    const missing = [...used].filter((v) => !doc.includes(v))
    expect(missing, 'variables missing from docs/config.md (run scripts/gen-config-doc.sh)').to.deep.equal([])
  })
})
