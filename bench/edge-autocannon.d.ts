// autocannon ships no types; the edge benchmark uses this much of it
declare module 'autocannon' {
  interface Histogram { average: number, p50: number, p99: number }
  interface Result { requests: Histogram, latency: Histogram, throughput: Histogram, non2xx: number, errors: number }
  function autocannon (opts: Record<string, unknown>): Promise<Result>
  export default autocannon
}
