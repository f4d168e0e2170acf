/**
 * The login and first-setup pages: plain forms, no script, styled by the
 * status page's sheet (the only file served before a login besides /healthz).
 */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — linewatch</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
</head>
<body class="login">
<h1>linewatch</h1>
${body}
</body>
</html>
`
}

const message = (text?: string) => (text ? `<p class="card error" id="message" role="alert">${esc(text)}</p>` : '')

export function loginPage(opts: { message?: string; user?: string }): string {
  return page(
    'Log in',
    `${message(opts.message)}<form class="card" method="post" action="/login">
<label>User <input name="user" autocomplete="username" value="${esc(opts.user ?? 'admin')}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required autofocus></label>
<button type="submit" id="login">Log in</button>
</form>`,
  )
}

export function setupPage(opts: { message?: string; until: string }): string {
  return page(
    'First setup',
    `<p>This box has no web password yet. Choose the password of the <b>admin</b> user: with it you can change
everything on this box. This page is open until ${esc(opts.until)}; after that a password is set only with
<code>linewatch passwd</code> on the console or <code>web-password.txt</code> on the SD card's boot partition.</p>
${message(opts.message)}<form class="card" method="post" action="/setup">
<label>Password <input name="password" type="password" autocomplete="new-password" minlength="8" required autofocus></label>
<label>Again <input name="confirm" type="password" autocomplete="new-password" minlength="8" required></label>
<button type="submit" id="setup">Set the password</button>
</form>`,
  )
}

export function setupClosedPage(reason: string): string {
  return page('Setup closed', `<p class="card error" id="message">${esc(reason)}</p>`)
}
