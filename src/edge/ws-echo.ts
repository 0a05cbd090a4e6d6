import uWS from 'uWebSockets.js'

/**
 * Test mode only: a WebSocket echo endpoint for the Autobahn fuzzing client (`npm run
 * test:autobahn`, scripts/autobahn.sh). It runs on the same uWS app, with the same handshake
 * checks as /v1/ws, so the suite measures the framing the edge really serves; it echoes every
 * message as it came (text as text, binary as binary). The CLI never mounts it.
 */

/** Autobahn case 9 sends messages up to 16 MiB; the echo must take them whole */
const ECHO_MAX_PAYLOAD = 16 * 1024 * 1024 + 1024

export function mountWsEcho (app: uWS.TemplatedApp, path: string,
  refuseUpgrade: (res: uWS.HttpResponse, req: uWS.HttpRequest) => boolean): void {
  app.ws(path, {
    compression: uWS.DISABLED,
    maxPayloadLength: ECHO_MAX_PAYLOAD,
    maxBackpressure: 4 * ECHO_MAX_PAYLOAD,
    closeOnBackpressureLimit: 0,
    idleTimeout: 60,
    upgrade (res, req, context) {
      if (refuseUpgrade(res, req)) return
      res.upgrade({}, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context)
    },
    message (ws, message, isBinary) { ws.send(message, isBinary) }
  })
}
