export { AlertManager } from './manager.js'
export { lineAlert, simAlert, type Language } from './rules.js'
