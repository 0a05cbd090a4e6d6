import type { StatsObject, WindowStats } from '../engine/stats.js'

/**
 * The JSON text of a stats object, exactly what JSON.stringify gives for the objects the engine
 * renders (fields in the order of stats.ts, which is the order #render and the Avro decoder
 * create them in), written by concatenation.
 *
 * Why: `volumer stats` prints one object per token, ~4 kB each with 11 windows; measured on the
 * 25,405 objects of a 300,000-line run, JSON.stringify took 385–440 ms of CPU and this 152–197
 * ms (docs/processor.md). Strings that come from toISOString (times) and from the decimal
 * formatter (volumes) need no escaping and are written as they are; chain, token and window
 * names go through JSON.stringify. Numbers print as JSON.stringify prints them: String() of a
 * finite number, null otherwise. test/codec/stats-json.property.test.ts compares the two on
 * generated objects, odd names and non-finite numbers included.
 */
export function statsJson (s: StatsObject): string {
  let out = '{"chain":' + JSON.stringify(s.chain) + ',"token":' + JSON.stringify(s.token) +
    ',"asOf":"' + s.asOf + '","lastPrice":' + num(s.lastPrice) +
    ',"lastTradeAt":' + optIso(s.lastTradeAt) + ',"firstSeenAt":' + optIso(s.firstSeenAt) + ',"windows":{'
  const windows = s.windows
  // Object.keys: JSON.stringify's order (integer-like names first), own properties only
  const names = Object.keys(windows)
  for (let i = 0; i < names.length; i++) {
    out += (i === 0 ? '' : ',') + JSON.stringify(names[i]) + ':' + windowJson(windows[names[i]])
  }
  return out + '}}'
}

function windowJson (w: WindowStats): string {
  return '{"from":"' + w.from + '","to":"' + w.to +
    '","volumeUsd":"' + w.volumeUsd + '","buyVolumeUsd":"' + w.buyVolumeUsd + '","sellVolumeUsd":"' + w.sellVolumeUsd +
    '","volume":"' + w.volume + '","buyVolume":"' + w.buyVolume + '","sellVolume":"' + w.sellVolume +
    '","txns":' + num(w.txns) + ',"buys":' + num(w.buys) + ',"sells":' + num(w.sells) +
    ',"traders":' + num(w.traders) + ',"buyers":' + num(w.buyers) + ',"sellers":' + num(w.sellers) +
    ',"open":' + num(w.open) + ',"close":' + num(w.close) + ',"high":' + num(w.high) + ',"low":' + num(w.low) +
    ',"priceChangePct":' + num(w.priceChangePct) + ',"vwap":' + num(w.vwap) + '}'
}

function num (x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'null' : String(x)
}

function optIso (t: string | null): string {
  return t === null ? 'null' : '"' + t + '"'
}
