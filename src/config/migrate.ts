/**
 * The config file's format version (`configVersion`) and the migrations between versions (docs/configuration.md,
 * "Config versions"). A file older than this linewatch reads is migrated step by step, N -> N+1, on its YAML
 * Document (not on plain data) so that the installer's comments, order and layout survive a rewrite.
 * Reading only migrates in memory (validate.ts); the file itself is rewritten by migrate-file.ts, once an
 * update is confirmed or on `linewatch config migrate`: an update on trial may still fall back to the old
 * system, which would meet a file it cannot read. Imports no schema: `run` and `validate` load this.
 */
import { isMap, isScalar, Pair, Scalar, YAMLMap, type Document } from 'yaml'
import { VERSION } from '../core/version.js'

/** The format this linewatch reads and writes. Raise it with a migration, and add the released example. */
export const CONFIG_VERSION = 1

export interface Migration {
  /** The version this step makes (from `to - 1`). */
  to: number
  /** One line for the log and the docs, e.g. "mqtt.user renamed mqtt.username". */
  what: string
  /** Edits the Document in place; setting `configVersion` is done by migrateDocument. */
  apply(doc: Document): void
}

/** In order: MIGRATIONS[i] takes configVersion i+1 to i+2. Empty while only version 1 exists. */
export const MIGRATIONS: readonly Migration[] = []

export type Migrated = { from: number; to: number; steps: string[] } | { problem: string }

export interface MigrateOptions {
  current?: number
  migrations?: readonly Migration[]
}

/** The file's configVersion: 1 when absent; a problem for anything but a whole number from 1. */
export function documentVersion(doc: Document): { version: number } | { problem: string } {
  if (!isMap(doc.contents)) return { version: 1 }
  const node = doc.contents.get('configVersion', true) as unknown
  if (node === undefined) return { version: 1 }
  const value = isScalar(node) ? node.value : node
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    return { problem: `must be a whole number from 1 (the file's format; this linewatch reads up to ${CONFIG_VERSION}), not ${JSON.stringify(value ?? null)}` }
  }
  return { version: value }
}

/**
 * Brings `doc` to the current version in place. A newer file is refused rather than read: its keys may mean
 * something this version does not know, and a silent misreading of an alarm setting is worse than a clear stop.
 */
export function migrateDocument(doc: Document, o: MigrateOptions = {}): Migrated {
  const current = o.current ?? CONFIG_VERSION
  const migrations = o.migrations ?? MIGRATIONS
  const v = documentVersion(doc)
  if ('problem' in v) return v
  if (v.version > current) {
    return { problem: `this file is configVersion ${v.version}, written for a newer linewatch; linewatch ${VERSION} reads configVersion ${current} at most: run the newer version, or put back the copy kept beside the file when it was migrated (<file>.v<N>, N at most ${current})` }
  }
  const steps: string[] = []
  for (let at = v.version; at < current; at++) {
    const m = migrations.find((x) => x.to === at + 1)
    // a programming error, caught by test/config/migrate-released.test.ts before any release
    if (!m) throw new Error(`no config migration from configVersion ${at} to ${at + 1}`)
    m.apply(doc)
    setVersion(doc, m.to)
    steps.push(`${at} -> ${m.to}: ${m.what}`)
  }
  return { from: v.version, to: current, steps }
}

/** Sets configVersion where it is, or as the first key (after the file's header comment) when absent. */
function setVersion(doc: Document, version: number): void {
  if (!isMap(doc.contents)) return
  const map = doc.contents
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === 'configVersion')
  if (pair) {
    if (isScalar(pair.value)) pair.value.value = version
    else pair.value = new Scalar(version)
    return
  }
  const key = new Scalar('configVersion')
  const note = ' The format of this file (docs/configuration.md); set by linewatch when it migrated the file.'
  key.commentBefore = note
  // the yaml library gives the file's header comment to the first key: the part before its last blank line
  // is the header, and stays above the new key; the rest is about the first key and stays with it
  const first = map.items[0]?.key
  const comment = isScalar(first) ? first.commentBefore : undefined
  const cut = comment?.lastIndexOf('\n\n') ?? -1
  if (isScalar(first) && comment && cut >= 0) {
    key.commentBefore = `${comment.slice(0, cut)}\n\n${note}`
    first.commentBefore = comment.slice(cut + 2)
  }
  if (isScalar(first)) first.spaceBefore = true
  map.items.unshift(new Pair(key, new Scalar(version)))
}

// Helpers for migrations: they move the key's own node, so its comments and value's layout go with it.

const pairIndex = (map: YAMLMap, key: string) => map.items.findIndex((p) => isScalar(p.key) && p.key.value === key)

/** The map at `path` (top level for []), or null when the file does not have it. */
function mapAt(doc: Document, path: readonly string[]): YAMLMap | null {
  const node = path.length ? doc.getIn(path, true) : doc.contents
  return isMap(node) ? node : null
}

/** `path`'s last key renamed `to` in place; nothing when the file does not have it. */
export function renameKey(doc: Document, path: readonly string[], to: string): void {
  const map = mapAt(doc, path.slice(0, -1))
  const i = map ? pairIndex(map, path[path.length - 1]!) : -1
  if (!map || i < 0) return
  const key = map.items[i]!.key
  if (isScalar(key)) key.value = to
}

/** The key at `from` moved into the map at `toParent` (made when absent), at its end; nothing when absent. */
export function moveKey(doc: Document, from: readonly string[], toParent: readonly string[]): void {
  const source = mapAt(doc, from.slice(0, -1))
  const i = source ? pairIndex(source, from[from.length - 1]!) : -1
  if (!source || i < 0) return
  if (!mapAt(doc, toParent)) doc.setIn(toParent, new YAMLMap())
  const [pair] = source.items.splice(i, 1)
  mapAt(doc, toParent)!.items.push(pair!)
}
