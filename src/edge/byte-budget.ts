/**
 * A token bucket counted in bytes: `rate` bytes per second refill it up to `burst`. A spend may
 * take it below zero (one message larger than what is left still goes), and nothing more is
 * spendable until the refill has paid that debt: the rate holds on average, whatever the sizes.
 * Used to charge WebSocket snapshots by what they cost (issue #20 §3).
 */
export class ByteBudget {
  readonly #rate: number
  readonly #burst: number
  #left: number
  #at: number

  constructor (ratePerSecond: number, burst: number, now: number) {
    this.#rate = ratePerSecond
    this.#burst = burst
    this.#left = burst
    this.#at = now
  }

  /** bytes that may be spent now (≤ 0: wait) */
  available (now: number): number {
    if (now > this.#at) {
      this.#left = Math.min(this.#burst, this.#left + (now - this.#at) * this.#rate / 1000)
      this.#at = now
    }
    return this.#left
  }

  spend (bytes: number): void { this.#left -= bytes }
}
