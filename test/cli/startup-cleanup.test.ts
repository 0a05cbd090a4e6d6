import { expect } from 'chai'
import { orCloseOpened } from '../../src/close-on-failure.js'
import { VolumerError } from '../../src/errors.js'

describe('start-up steps (orCloseOpened)', () => {
  function closer (name: string, closed: string[], fails = false): { close: () => Promise<void> } {
    return {
      async close () {
        closed.push(name)
        if (fails) throw new Error(`${name} close failed`)
      }
    }
  }

  it('passes a step\'s value through and closes nothing', async () => {
    const closed: string[] = []
    expect(await orCloseOpened(Promise.resolve(42), [closer('ops', closed)])).to.equal(42)
    expect(closed).to.deep.equal([])
  })

  it('closes what was opened, last first, and rethrows the step\'s own error even when a close fails', async () => {
    const closed: string[] = []
    const err = new VolumerError('RUNTIME_UNSUPPORTED', 'the Kafka client does not load')
    let caught: unknown
    try {
      await orCloseOpened(Promise.reject(err), [closer('ops', closed), closer('log', closed, true), closer('registry', closed)])
    } catch (e) { caught = e }
    expect(caught).to.equal(err)
    expect(closed).to.deep.equal(['registry', 'log', 'ops'])
  })
})
