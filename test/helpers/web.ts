import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpConfig } from '../../src/config/schema.js'
import { silentLogger } from '../../src/core/logger.js'
import { WebAuth } from '../../src/web/auth.js'
import { buildWebServer, type WebDeps } from '../../src/web/index.js'

/** http: as the config's defaults make it; a token given means the login is required, else the box is open (auth: none). */
export function httpConfig(over: Partial<HttpConfig> = {}): HttpConfig {
  return { host: '127.0.0.1', port: 0, auth: over.token ? 'required' : 'none', tls: 'off', sessionHours: 12, setupMinutes: 30, ...over }
}

/** The box's web server as Box builds it, with its credentials in a fresh folder (`stateDir`). */
export function testWeb(deps: Omit<WebDeps, 'config' | 'auth' | 'log' | 'mqttConnected'> & { mqttConnected?: () => boolean; http?: Partial<HttpConfig>; stateDir?: string }) {
  const config = httpConfig(deps.http)
  const auth = new WebAuth({ mode: config.auth, configToken: config.token, sessionHours: config.sessionHours, setupMinutes: config.setupMinutes, clock: deps.store.clock, log: silentLogger() })
  const stateDir = deps.stateDir ?? mkdtempSync(join(tmpdir(), 'lw-web-'))
  auth.open(stateDir)
  const app = buildWebServer({ mqttConnected: () => false, ...deps, config, auth, log: silentLogger() })
  return { app, auth, stateDir }
}
