import type { AlertRecord, LineSnapshot } from '../core/state.js'

export type Language = 'en' | 'ru'

const TEXT = {
  en: {
    lineDown: (id: string, reason: string) => `Line ${id} is down: ${reason}`,
    lineUp: (id: string, reason: string) => `Line ${id} is back up: ${reason}`,
  },
  ru: {
    lineDown: (id: string, reason: string) => `Линия ${id} не работает: ${reason}`,
    lineUp: (id: string, reason: string) => `Линия ${id} снова работает: ${reason}`,
  },
} as const

/** The alert a line's state calls for: raised while down, cleared when up again. Pure. */
export function lineAlert(line: LineSnapshot, lang: Language): Omit<AlertRecord, 'ts'> | null {
  const id = `line/${line.id}/down`
  if (line.state === 'down') {
    return { id, severity: 'major', source: `line/${line.id}`, state: 'raised', message: TEXT[lang].lineDown(line.id, line.reason) }
  }
  if (line.state === 'up') {
    return { id, severity: 'major', source: `line/${line.id}`, state: 'cleared', message: TEXT[lang].lineUp(line.id, line.reason) }
  }
  return null
}
