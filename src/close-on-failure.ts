/**
 * Awaits a start-up step; when it fails, closes what the earlier steps opened (last first)
 * and rethrows. Left open, a server or client kept the process alive after the error was
 * printed (`volumer processor` with a Kafka client that does not load stayed up on its
 * metrics port until killed).
 */
export async function orCloseOpened<T> (step: Promise<T>, opened: ReadonlyArray<{ close: () => Promise<unknown> }>): Promise<T> {
  try {
    return await step
  } catch (err) {
    for (const o of [...opened].reverse()) await o.close().catch(() => {})
    throw err
  }
}
