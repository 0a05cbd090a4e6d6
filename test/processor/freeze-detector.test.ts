import { expect } from 'chai'
import { createFreezeDetector } from '../../src/processor/freeze-detector.js'

/** a process's wall clock and CPU time, moved by hand */
function clocks (): { wall: () => number, cpu: () => number, run: (wallMs: number, cpuMs: number) => void } {
  let w = 1000
  let c = 50
  return { wall: () => w, cpu: () => c, run: (wallMs, cpuMs) => { w += wallMs; c += cpuMs } }
}

describe('freeze detector: the longest time the process went without running', () => {
  it('a process starved of CPU on a loaded machine, or waiting for the broker, is not frozen', () => {
    // issue #19's 1 h bench:steady run (load 12–18 on 2 cores): processors counted every cycle's
    // wall time without CPU time (commits waiting on the broker, other processes running) as a
    // freeze, aborted 8–9 transactions each and rebuilt their partitions 9–10 times
    const k = clocks()
    const d = createFreezeDetector({ tickMs: 100, wall: k.wall, cpu: k.cpu, timer: false })
    d.mark()
    for (let i = 0; i < 30; i++) { k.run(300, 20); d.tick() } // 9 s of wall time, 0.6 s of CPU
    expect(d.frozenMs()).to.be.below(2250)
  })

  it('a SIGSTOP of 3 s is a freeze, seen before the next sample and after it', () => {
    const k = clocks()
    const d = createFreezeDetector({ tickMs: 100, wall: k.wall, cpu: k.cpu, timer: false })
    d.mark()
    for (let i = 0; i < 5; i++) { k.run(100, 5); d.tick() }
    k.run(3000, 0)
    expect(d.frozenMs()).to.be.above(2250)
    d.tick()
    k.run(100, 5); d.tick()
    expect(d.frozenMs()).to.be.above(2250)
    d.mark()
    expect(d.frozenMs()).to.equal(0)
  })

  it('a long stretch of work with the CPU is not a freeze', () => {
    const k = clocks()
    const d = createFreezeDetector({ tickMs: 100, wall: k.wall, cpu: k.cpu, timer: false })
    d.mark()
    k.run(4000, 3900); d.tick()
    expect(d.frozenMs()).to.be.below(2250)
  })
})
