export { LineMonitor, initialLine } from './monitor.js'
export { gsmLineState } from './gsm.js'
