#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm install builds it via "prepare").
import { main } from '../dist/src/main.js'

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`linewatch: ${err && err.stack ? err.stack : err}\n`)
    process.exit(1)
  },
)
