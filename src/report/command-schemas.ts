import { Type, type Static, type TObject } from '@sinclair/typebox'

/**
 * The office's commands: each request body's schema and the result's, in one
 * place. OfficeCommands checks every request against these, and
 * docs/asyncapi.yaml is written from them, so the contract and the code
 * cannot part.
 */

/** An id becomes part of a topic level elsewhere: no wildcards, no slashes. */
export const CommandId = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'Unique per request: a request with an id already done is answered with the stored result and not run again' })
const PartId = (what: string) => Type.String({ minLength: 1, maxLength: 32, description: `the ${what}'s id in the config` })
const request = <P extends Parameters<typeof Type.Object>[0]>(description: string, fields: P) => Type.Object({ id: CommandId, ...fields }, { additionalProperties: false, description })

export const COMMAND_REQUESTS = {
  ping: request('Is the box there: its version and uptime', {}),
  'lamp-test': request('Light every lamp for a moment, with a short beep', {}),
  silence: request('Mute the buzzer for the alerts raised now', {}),
  'test-call': request('A test call on a line (lines[].testCall); the result once it has ended', { line: PartId('line') }),
  'test-sms': request('An SMS through a modem', {
    modem: PartId('modem'),
    to: Type.String({ pattern: '^\\+?[0-9]{3,16}$', description: 'the number to send to' }),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 480, description: 'default: "linewatch <site>/<box>: test SMS"' })),
  }),
  route: request('The paths a call to a number would take now, cheapest first (nothing is dialled)', { to: Type.String({ minLength: 1, maxLength: 32, description: 'the number dialled' }) }),
  'reload-decks': request('Read the rate decks again', {}),
  'reload-config': request('Check a config, restart the box on it, and go back to the previous one if the box does not come up healthy', {
    config: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 * 1024, description: 'the whole linewatch.yaml (YAML or JSON text); without it the file on the box is read again' })),
  }),
  'alert-ack': request('Acknowledge a raised alert: it stays raised until its cause is gone, marked acknowledged, and the buzzer no longer sounds for it', {
    alert: Type.String({ minLength: 1, maxLength: 128, description: "the alert's id" }),
    by: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'who acknowledged it (shown with the alert)' })),
  }),
  'alert-clear': request('Clear a raised alert whose cause is gone (say, a line taken out of the config); refused while its cause is still there', {
    alert: Type.String({ minLength: 1, maxLength: 128, description: "the alert's id" }),
  }),
  'restart-modem': request('Restart a modem: AT+CFUN=1,1, or its power cut when `power` is true; refused during a call unless `force`', {
    modem: PartId('modem'),
    power: Type.Optional(Type.Boolean({ description: 'cut and restore its supply (modems[].powerCut) instead of asking the module' })),
    force: Type.Optional(Type.Boolean({ description: 'even during a call' })),
  }),
  update: request('Download a signed update bundle from the office server and install it into the other root slot; the box reboots to try it and falls back by itself if it is not healthy (docs/updates.md). Answered once the download is checked and handed to the installer; the progress is on <base>/update', {
    url: Type.String({ pattern: '^https?://', maxLength: 2048, description: 'where the bundle is (HTTP Range is used to resume a cut download)' }),
    sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: "the whole bundle file's SHA-256, checked before anything else" }),
    force: Type.Optional(Type.Boolean({ description: 'install an older or the same version (never another board or a bad signature)' })),
  }),
  'sim-balance': request("Ask the SIM's balance now by USSD; the answer is also in the modem's retained state", {
    modem: PartId('modem'),
    ussd: Type.Optional(Type.String({ pattern: '^[*#][*#0-9]*#$', maxLength: 32, description: 'the USSD code; default modems[].balance.ussd' })),
  }),
} satisfies Record<string, TObject>

export type CommandName = keyof typeof COMMAND_REQUESTS
/** A command's fields besides `id`, as the code receives them once checked. */
export type CommandArgs<N extends CommandName> = Omit<Static<(typeof COMMAND_REQUESTS)[N]>, 'id'>

export const CommandResultSchema = Type.Object(
  {
    id: Type.Union([CommandId, Type.Null()], { description: "the request's id; null when it had none that could be read" }),
    command: Type.String(),
    ok: Type.Boolean(),
    message: Type.String({ description: 'one line a person can read' }),
    data: Type.Optional(Type.Unknown({ description: 'what the command found, per command' })),
    repeated: Type.Optional(Type.Literal(true, { description: 'this id was done before: the stored result; the command did not run again' })),
    stage: Type.Optional(Type.Union([Type.Literal('validated'), Type.Literal('applied'), Type.Literal('rolled-back')], { description: 'reload-config only: it answers twice, `validated` before the restart, then `applied` or `rolled-back`' })),
  },
  { additionalProperties: false },
)
