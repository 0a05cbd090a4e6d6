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
  /**
   * How bytea travels: 'native' as a driver binary parameter / column (pg), or 'base64' text
   * with decode()/encode() in SQL (PGlite: its JS bytea serialisation is per byte; measured on
   * 20 MB: save 8.4 s -> 1.1 s, load 3.6 s -> 0.26 s with base64).
   */
  readonly bytes: 'native' | 'base64'
  /** runs fn in BEGIN..COMMIT, ROLLBACK when it throws */
  transaction<T> (fn: (tx: SqlRunner) => Promise<T>): Promise<T>
  close (): Promise<void>
}
