import { spawn } from 'node:child_process'

/**
 * Text a TAP comment can carry: a serial console's output has lone carriage returns and terminal escapes, and a
 * lone `\r` in `t.comment` made tap drop the rest of the subtest, its failing assertions with it ("1..0 # no
 * tests found", ok): a failed update run passed CI that way on 2026-12-05. CR and CRLF become line ends, ANSI
 * escape sequences go, and so does every other control character but the tab.
 */
export function printable(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
}

/** Runs one of image/'s scripts (shell tests by default; `program` python3 for serial-console.py) and collects what it printed (stdout and stderr, printable) and its exit code. */
export function runImageScript(args: string[], env: NodeJS.ProcessEnv = process.env, program = 'bash'): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.stderr.on('data', (d) => (text += d))
    child.on('close', (code) => resolve({ code, text: printable(text) }))
  })
}

/** The script's `ok: …` / `FAILED: …` lines, each made an assertion; returns them. */
export function assertCheckLines(t: { ok(v: unknown, msg: string): unknown }, text: string): string[] {
  const checks = text.split('\n').filter((l) => /^(ok|FAILED): /.test(l))
  for (const line of checks) t.ok(line.startsWith('ok: '), line.replace(/^(ok|FAILED): /, ''))
  return checks
}
