import type { Checkpoint, CheckpointInfo } from './checkpoint-store.js'

/** Messages between createPgliteWorkerCheckpointStore and pglite-store-worker.ts. */
export interface WorkerInit {
  readonly dataDir?: string
  readonly keep?: number
}

export type WorkerCall = { readonly id: number } & (
  | { readonly op: 'migrate' }
  | { readonly op: 'save', readonly cp: Checkpoint }
  | { readonly op: 'latest', readonly group: string, readonly partition: number }
  | { readonly op: 'latestInfo', readonly group: string, readonly partition: number }
  | { readonly op: 'close' }
)

export type WorkerReply =
  | { readonly type: 'reply', readonly id: number, readonly value?: Checkpoint | CheckpointInfo | null, readonly error?: { code?: string, message: string, retriable: boolean } }
  | { readonly type: 'warn', readonly message: string, readonly error: string }
