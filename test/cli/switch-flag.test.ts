import { expect } from 'chai'
import { switchFlag } from '../../src/cli/flags.js'
import { UsageError } from '../../src/cli/cli-error.js'

describe('switchFlag: --x / --no-x → VOLUMER_* → default', () => {
  const ENV = 'VOLUMER_TEST_SWITCH'
  afterEach(() => { delete process.env[ENV] })

  it('takes the default when neither flag nor variable is set', () => {
    expect(switchFlag({}, 'standby', ENV, true)).to.equal(true)
    expect(switchFlag({}, 'standby', ENV, false)).to.equal(false)
  })

  it('--no-x turns a default-on switch off, and wins over the variable', () => {
    process.env[ENV] = 'true'
    expect(switchFlag({ 'no-standby': true }, 'standby', ENV, true)).to.equal(false)
  })

  it('--x wins over the variable; the variable over the default', () => {
    process.env[ENV] = 'false'
    expect(switchFlag({ standby: true }, 'standby', ENV, false)).to.equal(true)
    expect(switchFlag({}, 'standby', ENV, true)).to.equal(false)
  })

  it('refuses both at once', () => {
    expect(() => switchFlag({ standby: true, 'no-standby': true }, 'standby', ENV, true)).to.throw(UsageError, 'contradict')
  })
})
