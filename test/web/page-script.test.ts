/**
 * The status page's script parses, for the demo and for a box, and its
 * pattern table is the box's: checked without a browser, so a quoting slip
 * in page.ts fails here even where chromium is not installed.
 */
import t from 'tap'
import { PATTERNS, BUZZER_PATTERNS } from '../../src/panel/patterns.js'
import { statusPage } from '../../src/web/page.js'

for (const demo of [true, false]) {
  t.test(`the page script parses (demo: ${demo})`, async (t) => {
    const html = statusPage({ demo })
    const js = html.split('<script>')[1]!.split('</script>')[0]!
    t.doesNotThrow(() => new Function(js), 'valid JavaScript')
    t.ok(js.includes(`const PATTERNS = ${JSON.stringify(PATTERNS)};`), 'the lamp patterns as the box has them')
    t.ok(js.includes(`const BUZZ = ${JSON.stringify(BUZZER_PATTERNS)};`), 'the buzzer patterns too')
  })
}
