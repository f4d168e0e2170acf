export { buildWebServer, type WebDeps, type MqttLogEntry } from './server.js'
