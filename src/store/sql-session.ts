/**
 * The little SQL surface the store needs, implemented once per driver (pg, PGlite), so the
 * store's SQL lives in one place. Parameters use $1.. placeholders in both.
 */
export interface SqlRunner {
  query<R = Record<string, unknown>> (text: string, params?: unknown[]): Promise<R[]>
  /** several statements, no parameters */
  exec (text: string): Promise<void>
}

export interface SqlSession extends SqlRunner {
  /** runs fn in BEGIN..COMMIT, ROLLBACK when it throws */
  transaction<T> (fn: (tx: SqlRunner) => Promise<T>): Promise<T>
  close (): Promise<void>
}
