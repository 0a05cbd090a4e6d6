import { parseArgs, type ParseArgsConfig } from 'node:util'
import { isIP } from 'node:net'
import { VolumerError } from '../errors.js'
import { parseDuration, parseWindowList, type WindowSpec } from '../engine/windows.js'
import { parseCandleIntervals, type CandleInterval } from '../engine/candle-intervals.js'
import { UsageError } from './cli-error.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** parseArgs in strict mode, with its errors turned into usage errors that name the flag. */
export function parseFlags<T extends Options> (argv: string[], options: T, allowPositionals = true): { values: Record<string, string | boolean | string[] | undefined>, positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals })
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals }
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

/** Flag → VOLUMER_* env var → default, as STYLE.md asks; returns undefined when none is set. */
export function resolve (values: Record<string, unknown>, flag: string, env?: string): string | undefined {
  const v = values[flag]
  if (typeof v === 'string') return v
  if (env !== undefined) {
    const e = process.env[env]
    if (e !== undefined && e !== '') return e
  }
  return undefined
}

export function timeFlag (name: string, text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(ms) || !/^\d+$|^\d{4}-\d{2}-\d{2}T/.test(text)) {
    throw new UsageError(`--${name}: "${text}" is not a time; use ISO 8601 (e.g. 2021-06-16T02:00:00Z) or epoch ms`)
  }
  return ms
}

export function durationFlag (name: string, text: string): number {
  try { return parseDuration(text) } catch (err) { throw new UsageError(`--${name}: ${(err as VolumerError).message}`) }
}

export function windowsFlag (name: string, text: string): WindowSpec[] {
  try { return parseWindowList(text) } catch (err) { throw new UsageError(`--${name}: ${(err as VolumerError).message}`) }
}

export function candleIntervalsFlag (name: string, text: string): CandleInterval[] {
  try { return parseCandleIntervals(text) } catch (err) { throw new UsageError(`--${name}: ${(err as VolumerError).message}`) }
}

export function intFlag (name: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^-?\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${text}"`)
  return n
}

export function numberFlag (name: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: expected a number from ${min} to ${max}, got "${text}"`)
  return n
}

/** on/off switches: `--name` on the command line, or its environment variable set to true/false/1/0/on/off/yes/no */
/** --flag, or --no-flag when the command declares it (a switch that defaults to on), → env → default. */
export function switchFlag (values: Record<string, unknown>, flag: string, env: string, fallback: boolean): boolean {
  const v = values[flag]
  const off = values['no-' + flag]
  if (v === true && off === true) throw new UsageError(`--${flag} and --no-${flag} contradict each other`)
  if (off === true) return false
  if (typeof v === 'boolean') return v
  const e = process.env[env]
  if (e === undefined || e === '') return fallback
  if (/^(true|1|on|yes)$/i.test(e)) return true
  if (/^(false|0|off|no)$/i.test(e)) return false
  throw new UsageError(`${env}: expected true or false, got "${e}"`)
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

/** A bind address: an IPv4/IPv6 address or a host name, checked at start-up rather than at listen(). */
export function hostFlag (name: string, text: string): string {
  if (isIP(text) !== 0 || HOST_NAME.test(text)) return text
  throw new UsageError(`--${name}: "${text}" is not an IP address or host name (e.g. 127.0.0.1, or 0.0.0.0 for every interface)`)
}
