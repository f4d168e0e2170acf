import type { LineConfig } from '../config/schema.js'
import type { LineSnapshot } from '../core/state.js'
import type { StateStore, StoreChange } from '../core/store.js'

/** Whether a line is offered for outgoing calls: not while it is down (unless configured so). Pure. */
export function routable(cfg: LineConfig, line: LineSnapshot): boolean {
  return !(cfg.withdrawWhenDown && line.state === 'down')
}

/**
 * Marks a line's path down for outgoing routing while the line is down
 * (`routable` in the line's state, which the route lookup reads), and back
 * when it is up again; each change is a `route` event on `<base>/event`.
 */
export class RouteWithdrawal {
  readonly #store: StateStore
  readonly #lines: Map<string, LineConfig>
  readonly #onChange = (c: StoreChange) => {
    if (c.kind === 'line') this.#follow(c.next)
  }

  constructor(deps: { store: StateStore; lines: LineConfig[] }) {
    this.#store = deps.store
    this.#lines = new Map(deps.lines.map((l) => [l.id, l]))
  }

  start(): void {
    this.#store.on('change', this.#onChange)
    for (const id of this.#lines.keys()) {
      const line = this.#store.get('line', id)
      if (line) this.#follow(line)
    }
  }

  stop(): void {
    this.#store.off('change', this.#onChange)
  }

  #follow(line: LineSnapshot): void {
    const cfg = this.#lines.get(line.id)
    if (!cfg) return
    const want = routable(cfg, line)
    if (want === line.routable) return
    this.#store.update('line', line.id, { routable: want })
    this.#store.recordEvent({ type: 'route', line: line.id, routable: want, reason: want ? `line ${line.state}: offered for outgoing calls again` : `line down: ${line.reason}` })
  }
}
