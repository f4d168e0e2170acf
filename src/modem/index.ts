export { ModemDriver, INIT_SEQUENCE, modemHealth, initialModem } from './driver.js'
export { AtEngine, type AtCommandOptions, type AtResponse } from './engine.js'
export { AtFramer, type AtFrame } from './framer.js'
export * from './parse.js'
