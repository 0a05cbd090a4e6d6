import { VolumerError } from '../errors.js'

/** A command-line mistake: printed without a stack, exit code 2. */
export class UsageError extends VolumerError {
  constructor (message: string) {
    super('BAD_FLAG', message)
    this.name = 'UsageError'
  }
}

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
