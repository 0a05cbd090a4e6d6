import { Engine, createEngine, COUNTED, DUPLICATE, LATE, FUTURE } from './engine.js'
import { snapshotEngine, snapshotEngineSlices, restoreEngine, snapshotToken, restoreToken } from './snapshot.js'

export { Engine, createEngine, COUNTED, DUPLICATE, LATE, FUTURE, snapshotEngine, snapshotEngineSlices, restoreEngine, snapshotToken, restoreToken }
export type { EngineOptions, EngineCounters, ChangeListener, StateListener, IngestOutcome } from './engine.js'
export { DEFAULT_WINDOWS, DEFAULT_WINDOW_LIST, parseWindowList, parseDuration, defaultStep, windowEnd } from './windows.js'
export type { WindowSpec } from './windows.js'
export type { StatsObject, WindowStats } from './stats.js'
export { tokenKey } from './stats.js'
export { engineMemory, type EngineMemory, type TableMemory } from './memory-report.js'
