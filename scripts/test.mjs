#!/usr/bin/env node
// Runs the tap suite and ends with one line: "N passed, N failed[, N skipped]".
// tap's own summary counts files; CI wants assertions, and the reasons for
// every skip (a missing mosquitto, socat or root) in plain sight.
//
// LINEWATCH_IMAGE_BUILD_STATUS=FILE (.ci/run): the SD image is being built beside the suite and FILE
// gets the build's exit code when it ends. The tests that boot the image (test/image/) then run as a
// second tap run that starts as soon as FILE appears, beside the rest of the suite, instead of
// after a build that left a core idle for ~20 minutes; their output follows the rest's.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Parser } from 'tap-parser'

const tapBin = join(process.cwd(), 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const args = process.argv.slice(2)
const buildStatus = process.env.LINEWATCH_IMAGE_BUILD_STATUS
const IMAGE_TESTS = 'test/image'
const BUILD_WAIT_MS = 90 * 60 * 1000

const tally = { passed: 0, failed: 0, skipped: 0, failures: [], skips: [] }

// Count leaves only: a subtest's own summary line (it follows the subtest's
// body, announced by a 'child' event) is not an assertion of its own.
function watch(parser, run) {
  let childPending = false
  parser.on('child', (c) => {
    childPending = true
    watch(c, run)
  })
  parser.on('assert', (r) => {
    const summary = childPending
    childPending = false
    if (r.skip) {
      tally.skipped++
      tally.skips.push(`${r.fullname || r.name} # ${typeof r.skip === 'string' ? r.skip : 'skipped'}`)
    } else if (r.todo) tally.skipped++
    else if (summary) return
    else if (r.ok) tally.passed++
    else {
      tally.failed++
      run.failed++
      tally.failures.push(r)
    }
  })
}

/** One tap run; its output goes to `out` as it comes. Resolves with tap's exit code. */
function runTap(tapArgs, out) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tapBin, '--reporter=tap', ...tapArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
    const parser = new Parser()
    const run = { failed: 0 }
    watch(parser, run)
    child.stdout.on('data', (d) => {
      out(d)
      parser.write(d)
    })
    child.on('close', (code) => {
      parser.end()
      // a file that crashed before reporting shows only in tap's exit code
      if (code !== 0 && run.failed === 0) tally.failed++
      resolve(code)
    })
  })
}

async function untilBuilt(file) {
  const start = Date.now()
  while (!existsSync(file)) {
    if (Date.now() - start > BUILD_WAIT_MS) return `no build status in ${file} after ${BUILD_WAIT_MS / 60000} min`
    await new Promise((r) => setTimeout(r, 2000))
  }
  await new Promise((r) => setTimeout(r, 200))
  return `exit ${readFileSync(file, 'utf8').trim()} after ${Math.round((Date.now() - start) / 1000)} s of the suite`
}

const write = (d) => process.stdout.write(d)
if (buildStatus && args.length === 0) {
  const held = []
  let mainDone = false
  const image = untilBuilt(buildStatus).then((said) => {
    const line = `# image build ended (${said}): ${IMAGE_TESTS} starts\n`
    mainDone ? write(line) : held.push(Buffer.from(line))
    // side by side: tap runs one file at a time on two cores (it leaves one free), and each boot is QEMU's own process
    return runTap(['--jobs=2', IMAGE_TESTS], (d) => (mainDone ? write(d) : held.push(Buffer.from(d))))
  })
  await runTap([`--exclude=${IMAGE_TESTS}/**`], write)
  mainDone = true
  for (const d of held.splice(0)) write(d)
  await image
} else {
  await runTap(args, write)
}

if (tally.skips.length) write(`\nskipped:\n${tally.skips.map((s) => `  ${s}`).join('\n')}\n`)
if (tally.failures.length) {
  write(`\nfailed:\n`)
  for (const f of tally.failures) write(`  ${f.fullname || f.name}${f.diag ? `\n    ${JSON.stringify(f.diag).slice(0, 600)}` : ''}\n`)
}
write(`\n${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}\n`)
process.exit(tally.failed > 0 ? 1 : 0)
