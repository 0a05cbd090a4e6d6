import type { Logger } from 'pino'

/**
 * After a command has closed what it opened: if something still holds the event loop `ms` later
 * (issue #23's chaos test: processors that logged `processor failed` stayed alive with their
 * metrics server closed, which a supervisor watching the process takes for a live one), log what
 * it is and exit with the command's code. The timer is unref'd, so a process that ends on its own
 * ends as before, without waiting for it.
 */
export function exitWhenHeld (code: number, logger: Logger, ms = 5000): void {
  const timer = setTimeout(() => {
    // Node's own summary of the live handles and requests (why-is-node-running, in one line)
    logger.error({ code, resources: process.getActiveResourcesInfo() }, `still running ${ms} ms after closing; exiting`)
    logger.flush()
    process.exit(code)
  }, ms)
  timer.unref()
}
