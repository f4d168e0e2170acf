import { spawn } from 'node:child_process'

/** Runs one of image/'s shell tests and collects what it printed (stdout and stderr) and its exit code. */
export function runImageScript(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', args, { env })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.stderr.on('data', (d) => (text += d))
    child.on('close', (code) => resolve({ code, text }))
  })
}

/** The script's `ok: …` / `FAILED: …` lines, each made an assertion; returns them. */
export function assertCheckLines(t: { ok(v: unknown, msg: string): unknown }, text: string): string[] {
  const checks = text.split('\n').filter((l) => /^(ok|FAILED): /.test(l))
  for (const line of checks) t.ok(line.startsWith('ok: '), line.replace(/^(ok|FAILED): /, ''))
  return checks
}
