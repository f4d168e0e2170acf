/**
 * The deck worker: one import (deck-import.ts) off the thread that routes,
 * so a million-row deck never stalls the event loop; the packed deck's
 * ArrayBuffers are transferred back, not copied. One worker per import,
 * gone once it has answered. Started by decks.ts as deck-worker.js from
 * dist/, or as deck-worker.ts under tap (the worker inherits tap's
 * --import TypeScript hook through process.execArgv).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { importDeck, type DeckJob } from './deck-import.js'
import { packedBuffers } from './deck-pack.js'

const outcome = await importDeck(workerData as DeckJob)
parentPort!.postMessage(outcome, outcome.packed ? packedBuffers(outcome.packed) : [])
