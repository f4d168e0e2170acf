#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --optimize-for-size --single-threaded-gc --bytecode-old-age=1
// The installed command: runs the compiled CLI, bundled (npm install builds it via "prepare"; scripts/bundle.ts says why).
// The line above holds the box's memory settings, glibc malloc's and V8's (docs/performance.md: the idle RSS and
// their CPU cost, measured by `npm run bench`); the image's /usr/bin/linewatch and the memory tests read them there.
// It is longer than 127 characters: Linux reads 256 of a #! line since 5.1 (the image's is 6.x).
import { main } from '../dist/bundle/main.js'

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`linewatch: ${err && err.stack ? err.stack : err}\n`)
    process.exit(1)
  },
)
