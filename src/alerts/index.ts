export { AlertManager } from './manager.js'
export { lineAlert, type Language } from './rules.js'
