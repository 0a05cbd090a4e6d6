/**
 * Tests that make one part of a log misbehave (an admin whose offsets hang, a reader that fails
 * or waits) wrap the real in-process log instead of mocking it: everything not overridden is the
 * real thing.
 */
import type { Log } from '../../src/log/log.js'

/** A Log that delegates to `log` except for the methods given in `over`. */
export function wrapLog (log: Log, over: Partial<Omit<Log, 'kind'>>): Log {
  return {
    kind: log.kind,
    createConsumer: over.createConsumer ?? (async (o) => await log.createConsumer(o)),
    createProducer: over.createProducer ?? (async (o) => await log.createProducer(o)),
    createTransactionalProducer: over.createTransactionalProducer ?? (async (o) => await log.createTransactionalProducer(o)),
    createReader: over.createReader ?? (async (o) => await log.createReader(o)),
    createAdmin: over.createAdmin ?? (async () => await log.createAdmin()),
    close: over.close ?? (async () => await log.close())
  }
}

/** `target` with some of its methods replaced; every other property read from it, methods bound to it. */
export function overrideMethods<T extends object> (target: T, over: Partial<T>): T {
  return new Proxy(target, {
    get: (t, prop) => {
      if (Object.prototype.hasOwnProperty.call(over, prop)) return (over as Record<string | symbol, unknown>)[prop]
      const v = Reflect.get(t, prop, t) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v
    }
  })
}
