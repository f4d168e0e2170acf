export { ConfigSchema, jsonSchema, type Config, type ModemConfig, type LineConfig, type UplinkConfig, type PanelConfig, type MqttConfig, type HttpConfig } from './schema.js'
export { loadConfig, configFromText, validateConfigText, formatProblem, isLoopback, ConfigError, type ConfigProblem } from './validate.js'
export { resolveStateDir } from './storage.js'
