/**
 * Min-heap of (time, token slot): when a token's numbers next change with no new swap (a
 * bucket leaves or enters a window edge). Entries are never removed early; an entry whose time
 * no longer equals the token's timer (the engine's #timers) is stale and skipped when popped.
 */
export class TimerHeap {
  #times = new Float64Array(1024)
  #slots = new Int32Array(1024)
  size = 0

  push (time: number, slot: number): void {
    if (this.size === this.#times.length) {
      const t = new Float64Array(this.size * 2); t.set(this.#times); this.#times = t
      const s = new Int32Array(this.size * 2); s.set(this.#slots); this.#slots = s
    }
    const times = this.#times
    const slots = this.#slots
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      if (times[p] <= time) break
      times[i] = times[p]; slots[i] = slots[p]; i = p
    }
    times[i] = time; slots[i] = slot
  }

  get topTime (): number { return this.size === 0 ? Infinity : this.#times[0] }
  get topSlot (): number { return this.#slots[0] }

  pop (): void {
    const times = this.#times
    const slots = this.#slots
    const n = --this.size
    if (n === 0) return
    const t = times[n]; const s = slots[n]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && times[c + 1] < times[c]) c++
      if (times[c] >= t) break
      times[i] = times[c]; slots[i] = slots[c]; i = c
    }
    times[i] = t; slots[i] = s
  }

  clear (): void { this.size = 0 }
}
