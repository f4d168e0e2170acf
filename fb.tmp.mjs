import { benchFleet } from './dist/scripts/bench-fleet.js'
const r = await benchFleet(); console.log(JSON.stringify(r, null, 1))
