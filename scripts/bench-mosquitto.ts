import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface BenchBroker {
  url: string
  start(): Promise<void>
  stop(): Promise<void>
  /** CPU seconds (user + system) the broker has used, over every start. */
  cpuSeconds(): number
}

/** A process's user + system CPU time so far, from /proc (0 where there is none). */
function processCpu(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** A mosquitto of the bench's own on a free loopback port (persistence on, as an office broker runs), or why not. */
export async function startMosquittoForBench(): Promise<BenchBroker | { skipped: string }> {
  if (spawnSync('sh', ['-c', 'command -v mosquitto']).status !== 0) return { skipped: 'mosquitto is not installed' }
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port
      srv.close(() => resolve(p))
    })
  })
  const dir = await mkdtemp(join(tmpdir(), 'lw-bench-mosq-'))
  await writeFile(join(dir, 'm.conf'), [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0', 'user root', ''].join('\n'))
  let proc: ChildProcess | null = null
  let cpuBefore = 0
  const broker: BenchBroker = {
    cpuSeconds: () => cpuBefore + processCpu(proc?.pid),
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      proc = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
      let said = ''
      proc.stderr!.on('data', (d: Buffer) => (said += d.toString()))
      for (let i = 0; i < 100 && !said.includes('running'); i++) await sleep(50)
    },
    async stop() {
      const p = proc
      proc = null
      if (!p || p.exitCode !== null) return
      cpuBefore += processCpu(p.pid)
      const gone = new Promise((r) => p.once('exit', r))
      p.kill('SIGTERM')
      await gone
    },
  }
  await broker.start()
  process.once('exit', () => void rm(dir, { recursive: true, force: true }))
  return broker
}
