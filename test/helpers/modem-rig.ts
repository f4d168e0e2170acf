export { modemRig } from '../../src/sim/rig.js'
