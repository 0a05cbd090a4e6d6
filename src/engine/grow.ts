/**
 * A copy of `a` with room for at least `need` elements, its first `used` elements kept. The
 * engine's pool and arenas grow ×1.5, not ×2: they are most of its memory, and a doubling
 * leaves up to half of it unused. The copies are not free in a cold engine: measured on 12-06
 * (1M-swap bench runs, `grown` timed), 11–12 % of ingest, most of it page faults on the new
 * array; ×2 took a third of that off (~4 % of ingest). A warm engine's arrays stop growing.
 */
export function grown<T extends Float64Array | Int32Array> (a: T, used: number, need: number): T {
  let cap = Math.ceil(a.length * 1.5)
  while (cap < need) cap = Math.ceil(cap * 1.5)
  const next = new (a.constructor as new (length: number) => T)(cap)
  next.set(a.subarray(0, used))
  return next
}

/** `grown` keeping all of `a`, its new elements set to `fill` (an array indexed by id whose empty value is not 0). */
export function grownFilled<T extends Float64Array | Int32Array> (a: T, need: number, fill: number): T {
  const used = a.length
  const next = grown(a, used, need)
  next.fill(fill, used)
  return next
}
