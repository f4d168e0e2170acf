import { readFileSync } from 'node:fs'
import type { IClientOptions } from 'mqtt'
import type { MqttConfig } from '../config/schema.js'

/**
 * The broker login and TLS material for a connection (the box's reporter, the
 * doctor's check). The paths were checked and made absolute when the config
 * was loaded (config/secrets.ts); a renewed certificate is taken at the next start.
 */
export function brokerAuth(cfg: MqttConfig): Pick<IClientOptions, 'username' | 'password' | 'ca' | 'cert' | 'key'> {
  return {
    username: cfg.username,
    password: cfg.password,
    ...(cfg.ca ? { ca: readFileSync(cfg.ca) } : {}),
    ...(cfg.cert && cfg.key ? { cert: readFileSync(cfg.cert), key: readFileSync(cfg.key) } : {}),
  }
}
