#!/usr/bin/env -S node --optimize-for-size
// The installed command: runs the compiled CLI, bundled (npm install builds it via "prepare"; scripts/bundle.ts says why).
// The V8 flag on the line above is the box's one memory setting (docs/performance.md: the idle RSS and its CPU
// cost, measured by `npm run bench`); the image's /usr/bin/linewatch and the memory tests read it from there.
import { main } from '../dist/bundle/main.js'

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`linewatch: ${err && err.stack ? err.stack : err}\n`)
    process.exit(1)
  },
)
