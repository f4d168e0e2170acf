#!/usr/bin/env node
// Runs the tap suite and ends with one line: "N passed, N failed[, N skipped]".
// tap's own summary counts files; CI wants assertions, and the reasons for
// every skip (a missing mosquitto, socat or root) in plain sight.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { Parser } from 'tap-parser'

const tapBin = join(process.cwd(), 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const args = process.argv.slice(2)
const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })

let passed = 0
let failed = 0
let skipped = 0
const failures = []
const skips = []
// Count leaves only: a subtest's own summary line (it follows the subtest's
// body, announced by a 'child' event) is not an assertion of its own.
function watch(parser) {
  let childPending = false
  parser.on('child', (c) => {
    childPending = true
    watch(c)
  })
  parser.on('assert', (r) => {
    const summary = childPending
    childPending = false
    if (r.skip) {
      skipped++
      skips.push(`${r.fullname || r.name} # ${typeof r.skip === 'string' ? r.skip : 'skipped'}`)
    } else if (r.todo) skipped++
    else if (summary) return
    else if (r.ok) passed++
    else {
      failed++
      failures.push(r)
    }
  })
}
const parser = new Parser()
watch(parser)
child.stdout.on('data', (d) => {
  process.stdout.write(d)
  parser.write(d)
})
child.on('close', (code) => {
  parser.end()
  if (skips.length) process.stdout.write(`\nskipped:\n${skips.map((s) => `  ${s}`).join('\n')}\n`)
  if (failures.length) {
    process.stdout.write(`\nfailed:\n`)
    for (const f of failures) process.stdout.write(`  ${f.fullname || f.name}${f.diag ? `\n    ${JSON.stringify(f.diag).slice(0, 600)}` : ''}\n`)
  }
  // a file that crashed before reporting shows only in tap's exit code
  if (code !== 0 && failed === 0) failed++
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  process.exit(failed > 0 ? 1 : 0)
})
