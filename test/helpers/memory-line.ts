export { memoryLine } from '../../src/sim/memory-line.js'
