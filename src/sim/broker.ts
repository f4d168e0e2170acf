import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'

export interface EmbeddedBroker {
  url: string
  close(): Promise<void>
}

/**
 * An in-process MQTT broker (aedes, MQTT 3.1.1) for the demo, so that
 * `linewatch demo` needs nothing installed. Takes the wanted port, or any
 * free one when that is taken (a developer's own mosquitto on 1883).
 */
export async function startEmbeddedBroker(host = '127.0.0.1', port = 1883): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker()
  const server = createServer((socket) => aedes.handle(socket))
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err)
      server.once('error', onError)
      server.listen(p, host, () => {
        server.off('error', onError)
        resolve()
      })
    })
  try {
    await listen(port)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    await listen(0)
  }
  const addr = server.address() as { port: number }
  return {
    url: `mqtt://${host}:${addr.port}`,
    close: () => closeBroker(server, aedes),
  }
}

async function closeBroker(server: Server, aedes: Aedes): Promise<void> {
  await new Promise<void>((resolve) => aedes.close(() => resolve()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
}
