/**
 * Updates from the web page, for an admin (docs/http.md, docs/updates.md): the same as the office's
 * `update` command, a bundle on the office server by URL and its SHA-256; the progress is polled.
 */
import type { FastifyInstance } from 'fastify'
import type { UpdateProgress, UpdateRequest } from '../update/service.js'

export interface UpdateActions {
  readonly progress: UpdateProgress | null
  readonly busy: boolean
  fromUrl(req: UpdateRequest): Promise<{ ok: boolean; message: string }>
}

const updateBody = {
  type: 'object',
  required: ['url', 'sha256'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
    force: { type: 'boolean' },
  },
} as const

const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function updateRoutes(app: FastifyInstance, update: UpdateActions): void {
  app.get('/api/v1/update', async () => ({ busy: update.busy, progress: update.progress }))
  app.post<{ Body: UpdateRequest }>('/api/v1/update', { schema: { body: updateBody } }, async (req, reply) => {
    if (update.busy) return reply.code(409).send({ error: 'busy', message: 'an update is already under way' })
    // a download takes minutes: answered at once, followed with GET /api/v1/update
    void update.fromUrl(req.body)
    return reply.code(202).send({ ok: true, message: 'started: follow GET /api/v1/update' })
  })
  app.get('/update', async (req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(updatePage(req.identity?.session?.csrf)))
  app.get('/update.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(UPDATE_SCRIPT))
}

function updatePage(csrf: string | undefined): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>linewatch: update</title><link rel="stylesheet" href="/page.css">
${csrf ? `<meta name="csrf-token" content="${attr(csrf)}">\n` : ''}<script src="/update.js" defer></script></head>
<body><h1>Update</h1>
<p class="muted">A signed bundle on the office server: the box checks it, writes its other system, reboots to try it, and comes back on this one by itself if the new one is not healthy.</p>
<form id="update"><label>Bundle URL <input name="url" type="url" required size="60" placeholder="https://office.example/linewatch-1.5.0-rpi-arm64.lwb"></label><br>
<label>SHA-256 <input name="sha256" required pattern="[0-9a-fA-F]{64}" size="66"></label><br>
<label><input name="force" type="checkbox"> an older or the same version</label><br>
<button>Update</button></form>
<p id="stage">—</p><progress id="bar" max="100" value="0"></progress> <span id="bytes"></span>
<p id="message"></p>
</body></html>`
}

const UPDATE_SCRIPT = `const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
const $ = (id) => document.getElementById(id);
async function poll() {
  const r = await fetch('/api/v1/update');
  if (r.ok) {
    const { progress } = await r.json();
    if (progress) {
      $('stage').textContent = progress.stage;
      $('bar').value = progress.percent;
      $('bytes').textContent = progress.total > 1 ? (progress.done / 1048576).toFixed(1) + ' / ' + (progress.total / 1048576).toFixed(1) + ' MB' : '';
      $('message').textContent = progress.message || '';
    }
  }
}
$('update').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await fetch('/api/v1/update', { method: 'POST', headers: { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) }, body: JSON.stringify({ url: f.get('url'), sha256: f.get('sha256'), force: f.get('force') === 'on' }) });
  $('message').textContent = (await r.json()).message || '';
});
poll();
setInterval(poll, 2000);
`
