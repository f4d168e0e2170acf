import { FakeClock } from '../../src/core/clock.js'
import { StateStore } from '../../src/core/store.js'

/** A store on a FakeClock, as most unit tests want it. */
export function testStore(clock = new FakeClock()): { store: StateStore; clock: FakeClock } {
  return { store: new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, clock), clock }
}
