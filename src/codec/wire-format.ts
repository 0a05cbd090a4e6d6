/**
 * Confluent wire format, the framing of every Avro message on Volumer's topics:
 *
 *   offset 0      1        5
 *          +------+--------+----------------
 *          | 0x00 | id     | Avro binary body
 *          +------+--------+----------------
 *           magic  int32 big-endian schema id (the registry's global id)
 */
export const MAGIC_BYTE = 0
export const HEADER_BYTES = 5

/** The schema id of a framed message, or -1 when the buffer is not in the wire format. */
export function readSchemaId (buf: Uint8Array): number {
  if (buf.length < HEADER_BYTES || buf[0] !== MAGIC_BYTE) return -1
  // int32 big-endian; ids are positive, a set top bit makes this negative = not ours
  return ((buf[1] << 24) | (buf[2] << 16) | (buf[3] << 8) | buf[4])
}

export function writeHeader (buf: Uint8Array, id: number): void {
  buf[0] = MAGIC_BYTE
  buf[1] = (id >>> 24) & 0xff
  buf[2] = (id >>> 16) & 0xff
  buf[3] = (id >>> 8) & 0xff
  buf[4] = id & 0xff
}
