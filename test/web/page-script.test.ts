/**
 * The status page's script parses, for the demo and for a box, and its
 * pattern table is the box's: checked without a browser, so a quoting slip
 * in page.ts fails here even where chromium is not installed.
 */
import t from 'tap'
import { PATTERNS, BUZZER_PATTERNS } from '../../src/panel/patterns.js'
import { PAGE_SCRIPT, statusPage } from '../../src/web/page.js'

t.test('the page script parses', async (t) => {
  const js = PAGE_SCRIPT
  t.doesNotThrow(() => new Function(js), 'valid JavaScript')
  t.ok(js.includes(`const PATTERNS = ${JSON.stringify(PATTERNS)};`), 'the lamp patterns as the box has them')
  t.ok(js.includes(`const BUZZ = ${JSON.stringify(BUZZER_PATTERNS)};`), 'the buzzer patterns too')
})

for (const demo of [true, false]) {
  t.test(`the page has no inline script, style or handler (demo: ${demo})`, async (t) => {
    const html = statusPage({ demo })
    t.notMatch(html, /<script>|<style|\son[a-z]+=|style="/i, 'nothing the policy would have to allow inline')
    t.match(html, /<script src="\/page\.js" defer><\/script>/)
    t.match(html, new RegExp(`<body data-demo="${demo}">`))
  })
}
