import { fileURLToPath } from 'node:url'

/**
 * The dashboard's static files, found from src/edge and from dist/edge alike. A module of its
 * own so that naming it does not load uWebSockets.js (edge-server.ts), whose import prints a
 * banner on a Node it has no build for.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../src/edge/dashboard', import.meta.url))
