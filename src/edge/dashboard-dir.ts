import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The dashboard's static files, found from src/edge and from dist/edge alike. A module of its
 * own so that naming it does not load uWebSockets.js (edge-server.ts), whose import prints a
 * banner on a Node it has no build for.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../src/edge/dashboard', import.meta.url))

/**
 * Browser libraries the dashboard imports, served from node_modules as they ship (no bundler,
 * no copy in the repository): URL path under the dashboard → file. Resolved once, when this
 * module loads, with Node's own resolution from this file, so it finds the package from src/,
 * from dist/ and in a clean clone after `npm ci` (it is a runtime dependency).
 *
 * lightweight-charts (TradingView, Apache-2.0) exports only `.` and its package.json; its
 * standalone ES module bundles its one dependency (fancy-canvas), so the browser needs no
 * import map. A missing package leaves the route out (404) and the token page says the chart
 * cannot load; nothing else depends on it.
 */
export const DASHBOARD_VENDOR_FILES: Readonly<Record<string, string>> = Object.freeze(vendorFiles())

function vendorFiles (): Record<string, string> {
  const out: Record<string, string> = {}
  try {
    const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json')
    const file = join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.mjs')
    if (existsSync(file)) out['vendor/lightweight-charts.js'] = file
  } catch {
    // not installed: see above
  }
  return out
}
