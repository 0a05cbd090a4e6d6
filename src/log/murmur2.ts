/**
 * Kafka's default partitioner for keyed records: `(murmur2(key) & 0x7fffffff) % partitions`
 * (Java `Utils.murmur2` + `Utils.toPositive`). The in-process log uses it, and the Kafka adapter
 * sets librdkafka's `partitioner: 'murmur2_random'` (librdkafka defaults to CRC32), so a key lands
 * on the same partition number everywhere, Java producers included.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's murmur2, as a signed 32-bit integer like Java's. */
export function murmur2 (data: Uint8Array): number {
  const length = data.length
  let h = (SEED ^ length) | 0
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  const tail = length & 3
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2] << 16
    if (tail >= 2) h ^= data[whole + 1] << 8
    h ^= data[whole]
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

export function partitionForKey (key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions
}
