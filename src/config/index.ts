// the schema's values (ConfigSchema, jsonSchema) come from './schema.js' itself: built at import, they are not
// part of what the box loads to run (src/config/check.ts)
export type { Config, ModemConfig, LineConfig, UplinkConfig, PanelConfig, MqttConfig, HttpConfig } from './schema.js'
export { loadConfig, configFromText, validateConfigText, formatProblem, isLoopback, ConfigError, type ConfigProblem } from './validate.js'
export { resolveStateDir } from './storage.js'
