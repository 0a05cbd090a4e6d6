import type { SwapDecoder } from '../codec/index.js'
import { isVolumerError } from '../errors.js'
import { validateSwapObject } from '../swap/parse-swap.js'
import { isSwapReject } from '../swap/swap-reject.js'
import type { Swap } from '../swap/swap.js'

/** Why an input record is not a swap: the DLQ's reason code and message. */
export interface RecordReject { readonly code: string, readonly message: string }

/**
 * One `swaps` record value (Avro or JSON) to a validated swap, or the reason it is not one.
 * The processor and the changelog replay share it, so a DELTA replays exactly what was counted.
 * Sync: the decoder must have been `prepare`d with the batch.
 */
export function swapFromRecord (decoder: SwapDecoder, value: Uint8Array | null): Swap | RecordReject {
  let obj: unknown
  try {
    obj = decoder.decode(value)
  } catch (err) {
    return { code: isVolumerError(err) ? err.code : 'UNDECODABLE', message: (err as Error).message }
  }
  const swap = validateSwapObject(obj)
  return isSwapReject(swap) ? { code: swap.code, message: swap.message } : swap
}

export function isRecordReject (v: Swap | RecordReject): v is RecordReject {
  return (v as Partial<Swap>).blockTime === undefined
}
