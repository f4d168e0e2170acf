// firmata-io ships no types: the part linewatch uses.
declare module 'firmata-io' {
  import type { EventEmitter } from 'node:events'
  interface FirmataOptions {
    reportVersionTimeout?: number
    skipCapabilities?: boolean
    samplingInterval?: number
  }
  class Firmata extends EventEmitter {
    constructor(transport: object, options?: FirmataOptions, callback?: () => void)
    isReady: boolean
    transport: { close?(cb?: () => void): void; destroy?(): void }
    reportVersionTimeoutId?: NodeJS.Timeout
  }
  function bindTransport(transport: unknown): typeof Firmata
  namespace bindTransport {
    const Firmata: typeof Firmata
  }
  export default bindTransport
}
