import { parse as parseForm } from 'node:querystring';

/**
 * Bolt trusts the shape of a signed body: `null` crashes its receiver outside any try (an
 * unhandled rejection), an odd field type throws inside it (500, which makes Slack retry), and
 * a body it cannot classify waits for the unhandled-request timeout. So we parse the body the
 * way Bolt does and check the fields Bolt and our listeners read, before Bolt sees it.
 */
export type SlackBody = Record<string, unknown>;

export type ShapeCheck = { ok: true; body: SlackBody } | { ok: false; reason: string };

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
/**
 * Team and enterprise ids key Bolt's client pools (a plain object): `__proto__` or `constructor`
 * there throws before the ack. A key is a string that is no property of Object.prototype.
 */
const isKey = (v: unknown): v is string => isStr(v) && !(v in Object.prototype);
const optKey = (v: unknown): boolean => v === undefined || isKey(v);
/** Objects that Bolt reads `.id` (and `.enterprise_id`) from when present: an object with a key id, or null/absent. */
const optIdObj = (v: unknown): boolean => v === undefined || v === null || (isObj(v) && optKey(v.id) && optKey(v.enterprise_id));

/** Parse as Bolt's HTTPReceiver does: an exact form content type, a `payload` field holding JSON, else JSON. */
export function parseSlackBody(contentType: string | undefined, raw: Buffer): unknown {
  const text = raw.toString();
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = parseForm(text);
    return typeof form.payload === 'string' ? JSON.parse(form.payload) : { ...form };
  }
  return JSON.parse(text);
}

export function checkSlackBody(contentType: string | undefined, raw: Buffer): ShapeCheck {
  let body: unknown;
  try {
    body = parseSlackBody(contentType, raw);
  } catch {
    return { ok: false, reason: 'body is not valid JSON' };
  }
  if (!isObj(body)) return { ok: false, reason: 'body is not a JSON object' };
  const reason = problem(body);
  return reason ? { ok: false, reason } : { ok: true, body };
}

/** What is wrong with a parsed body, in the order Bolt classifies it (helpers.getTypeAndConversation). */
function problem(b: Json): string | undefined {
  if (b.ssl_check !== undefined) return b.ssl_check === '1' ? undefined : 'ssl_check is not "1"';
  if (b.type === 'url_verification') return isStr(b.challenge) ? undefined : 'url_verification without a challenge';
  // Slack tells us it is dropping events; answered by the adapter, Bolt has no use for it.
  if (b.type === 'app_rate_limited' && b.event === undefined) return undefined;
  if (b.event !== undefined) return eventProblem(b);
  if (b.command !== undefined) return commandProblem(b);
  if (!optStr(b.type)) return 'type is not a string';
  // Bolt reads channel.id whenever channel is not undefined (null included); team and enterprise may be null.
  if (!optIdObj(b.team) || !optIdObj(b.enterprise) || !(b.channel === undefined || (isObj(b.channel) && optStr(b.channel.id)))) return 'team, enterprise or channel is not an object with an id';
  if (b.name !== undefined || b.type === 'block_suggestion') return userProblem(b) ?? (b.type === 'block_suggestion' ? (isStr(b.action_id) ? undefined : 'block_suggestion without an action_id') : isStr(b.name) ? undefined : 'name is not a string');
  if (b.actions !== undefined || b.type === 'dialog_submission') return userProblem(b) ?? actionsProblem(b);
  if (b.type === 'shortcut' || b.type === 'message_action') return userProblem(b) ?? (isStr(b.callback_id) ? undefined : 'shortcut without a callback_id');
  if (b.type === 'view_submission' || b.type === 'view_closed') {
    if (!isObj(b.view) || !isStr(b.view.callback_id) || !optKey(b.view.app_installed_team_id) || !optStr(b.view.private_metadata)) return 'view action without a view and callback_id';
    return userProblem(b) ?? (b.type === 'view_submission' && b.view.state === undefined ? 'view_submission without state' : stateProblem(b.view.state));
  }
  return `not a Slack request Understudy handles (type ${isStr(b.type) ? JSON.stringify(b.type.slice(0, 40)) : 'missing'})`;
}

function eventProblem(b: Json): string | undefined {
  // Bolt classifies by the presence of `event`; recorded samples blank the envelope type.
  if (!optStr(b.type)) return 'type is not a string';
  if (!optStr(b.api_app_id) || !optKey(b.team_id) || !optKey(b.enterprise_id) || !optStr(b.event_id)) return 'api_app_id, team_id, enterprise_id or event_id is not a string id';
  const authOk = (a: unknown): boolean => isObj(a) && (a.team_id === null || optKey(a.team_id)) && (a.enterprise_id === null || optKey(a.enterprise_id));
  if (b.authorizations !== undefined && !(Array.isArray(b.authorizations) && b.authorizations.every(authOk))) return 'authorizations is not a list of objects with string ids';
  const e = b.event;
  if (!isObj(e)) return 'event is not an object';
  if (!isStr(e.type)) return 'event.type is not a string';
  if ('channel' in e && !(isStr(e.channel) || (isObj(e.channel) && isStr(e.channel.id)))) return 'event.channel is neither a string nor an object with an id';
  if ('channel_id' in e && !isStr(e.channel_id)) return 'event.channel_id is not a string';
  if ('item' in e && !isObj(e.item)) return 'event.item is not an object';
  // Bolt reads event.user (a string, or an object with an id) and event.subteam.created_by before it acks.
  if ('user' in e && !(isStr(e.user) || isObj(e.user))) return 'event.user is neither a string nor an object';
  if ('subteam' in e && !isObj(e.subteam)) return 'event.subteam is not an object';
  for (const k of ['text', 'ts', 'thread_ts', 'subtype', 'bot_id', 'channel_type', 'event_ts'] as const) {
    if (k in e && e[k] !== null && !isStr(e[k])) return `event.${k} is not a string`;
  }
  if ('message' in e && e.message !== undefined && !isObj(e.message)) return 'event.message is not an object';
  if ('assistant_thread' in e && !(isObj(e.assistant_thread) && isStr(e.assistant_thread.channel_id) && isStr(e.assistant_thread.thread_ts))) return 'event.assistant_thread has no channel_id and thread_ts';
  return undefined;
}

function commandProblem(b: Json): string | undefined {
  for (const k of ['command', 'user_id', 'channel_id'] as const) if (!isStr(b[k])) return `${k} is missing or not a single string`;
  for (const k of ['team_id', 'enterprise_id'] as const) if (!optKey(b[k])) return `${k} is not a single string id`;
  for (const k of ['text', 'api_app_id', 'trigger_id', 'response_url', 'user_name', 'channel_name'] as const) if (!optStr(b[k])) return `${k} is not a single string`;
  return undefined;
}

function userProblem(b: Json): string | undefined {
  if (!isObj(b.user) || !isStr(b.user.id) || !optKey(b.user.team_id)) return 'user is not an object with an id';
  if (!optStr(b.api_app_id) || !optStr(b.trigger_id) || !optStr(b.response_url)) return 'api_app_id, trigger_id or response_url is not a string';
  if (b.message !== undefined && !(isObj(b.message) && optStr(b.message.ts))) return 'message is not an object';
  if (b.container !== undefined && !isObj(b.container)) return 'container is not an object';
  if (b.state !== undefined && !isObj(b.state)) return 'state is not an object';
  return undefined;
}

/** Modal input state (`values[block][action].value`), which the correction modal reads before it acks. */
function stateProblem(state: unknown): string | undefined {
  if (state === undefined) return undefined;
  if (!isObj(state) || !isObj(state.values)) return 'view.state has no values object';
  for (const block of Object.values(state.values)) {
    if (!isObj(block)) return 'a view.state block is not an object';
    for (const input of Object.values(block)) if (!isObj(input) || !(input.value === undefined || input.value === null || isStr(input.value))) return 'a view.state input has a value that is not a string';
  }
  return undefined;
}

function actionsProblem(b: Json): string | undefined {
  if (b.type === 'dialog_submission') return isStr(b.callback_id) ? undefined : 'dialog_submission without a callback_id';
  if (!isStr(b.type)) return 'actions without a type';
  if (!Array.isArray(b.actions) || b.actions.length === 0) return 'actions is not a non-empty list';
  for (const a of b.actions) {
    if (!isObj(a)) return 'an action is not an object';
    const id = b.type === 'block_actions' ? a.action_id : (a.action_id ?? a.name);
    if (!isStr(id)) return 'an action has no action_id';
    if (!optStr(a.block_id) || !(a.value === undefined || isStr(a.value))) return 'an action has a block_id or value that is not a string';
  }
  if (!isStr(b.callback_id) && b.type !== 'block_actions') return 'actions without a callback_id';
  return undefined;
}
