import type { AvatarPackage } from '../avatars/package';
import type { ManifestGenerator, ManifestInput } from './types';

export const LARK_EVENTS_PATH = '/lark/events';

/** Events the adapter handles. card.action.trigger is a callback in the console, on the same URL. */
export const LARK_EVENTS = ['im.message.receive_v1', 'application.bot.menu_v6', 'im.chat.access_event.bot_p2p_chat_entered_v1'];
export const LARK_CALLBACKS = ['card.action.trigger'];

/** Tenant scopes, each with the reason it is asked for. */
export const LARK_SCOPES: Record<string, string> = {
  'im:message': 'reply, update the thinking card with the answer',
  'im:message:send_as_bot': 'send messages as the bot (menu answers, notes)',
  'im:message.p2p_msg:readonly': 'receive messages sent to the bot in p2p chats',
  'im:message.group_at_msg:readonly': 'receive group messages that @mention the bot',
  'im:message:readonly': 'read earlier messages of a thread (conversation memory)',
  'im:chat:readonly': 'tell public from private groups (which sources a group may see)',
  'contact:user.base:readonly': 'user names and departments (avatar access lists)',
};

/** Feishu's limits for an app's name and description. */
export const LARK_LIMITS = { name: 30, description: 100, menuName: 16 };

function clip(text: string, max: number): string {
  return [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('').trimEnd()}…`;
}

function names(a: AvatarPackage): { zh: string; en: string } {
  return { zh: a.config.person.name, en: a.config.person.name_en ?? a.config.person.name };
}

/** Bot menu items: each event key is the command line with `_` for spaces. */
function menu(input: ManifestInput): { event_key: string; name: { zh_cn: string; en_us: string } }[] {
  const items = [
    { event_key: 'avatar_list', name: { zh_cn: '数字分身列表', en_us: 'Avatars' } },
    ...(input.avatar ? [{ event_key: `avatar_info_${input.avatar.config.handle}`, name: { zh_cn: '关于这个分身', en_us: 'About' } }] : []),
    { event_key: 'avatar_help', name: { zh_cn: '帮助', en_us: 'Help' } },
  ];
  const known: Record<string, { zh_cn: string; en_us: string }> = { summarize: { zh_cn: '总结', en_us: 'Summarize' }, distill: { zh_cn: '蒸馏我的分身', en_us: 'Distill me' }, meeting: { zh_cn: '分身会议', en_us: 'Avatar meeting' } };
  for (const c of input.commands) {
    if (c.name === 'avatar') continue;
    items.push({ event_key: c.name, name: known[c.name] ?? { zh_cn: c.name, en_us: c.name } });
  }
  return items.map((i) => ({ ...i, name: { zh_cn: clip(i.name.zh_cn, LARK_LIMITS.menuName), en_us: clip(i.name.en_us, LARK_LIMITS.menuName) } }));
}

/** Which variables hold this app's secrets: LARK_* for the hub, the avatar.yaml names otherwise. */
function variables(a: AvatarPackage | undefined): Record<string, string> {
  const l = a?.config.apps.lark;
  if (!a) return { app_id: 'LARK_APP_ID', app_secret: 'LARK_APP_SECRET', encrypt_key: 'LARK_ENCRYPT_KEY', verification_token: 'LARK_VERIFICATION_TOKEN' };
  if (!l) return {};
  return { app_secret: l.app_secret_env, ...(l.encrypt_key_env ? { encrypt_key: l.encrypt_key_env } : {}), ...(l.verification_token_env ? { verification_token: l.verification_token_env } : {}) };
}

function setup(input: ManifestInput, requestUrl: string | undefined): string[] {
  const a = input.avatar;
  const vars = variables(a);
  const mode = input.socket ? 'LARK_MODE=ws (long connection; no public URL needed)' : 'LARK_MODE=webhook (default)';
  const steps = [
    'Create a custom app (企业自建应用) at https://open.feishu.cn/app (Lark: https://open.larksuite.com/app) with the name and description below.',
    'Add the Bot capability (添加应用能力 > 机器人) and the menu items below (机器人 > 自定义菜单, response type "push event").',
    'Permissions & Scopes (权限管理): add every scope under "scopes".',
    input.socket
      ? 'Events & Callbacks (事件与回调): choose "Receive events through persistent connection" (使用长连接接收事件) for events and callbacks, while Understudy is running.'
      : `Events & Callbacks (事件与回调): set the request URL of events and of callbacks to ${requestUrl ?? ''}, and set an Encrypt Key (keep the Verification Token too).`,
    'Subscribe to the events and callbacks below, then publish a version (创建版本并发布) so the scopes take effect.',
  ];
  if (!a) {
    steps.push(`Set LARK_APP_ID and LARK_APP_SECRET (Credentials & Basic Info)${input.socket ? '' : ', LARK_ENCRYPT_KEY and LARK_VERIFICATION_TOKEN (Events & Callbacks > Encryption Strategy)'}; ${mode}.`);
  } else if (!a.config.apps.lark) {
    steps.push(
      `Add to avatars/${a.config.slug}/avatar.yaml: apps: { lark: { app_id: <App ID>, app_secret_env: <VAR>${input.socket ? '' : ', encrypt_key_env: <VAR>, verification_token_env: <VAR>'} } }, and set those variables (names only in the yaml, never the secrets); ${mode}.`,
    );
  } else {
    steps.push(`Set ${Object.values(vars).join(', ')} in the environment; ${mode}.`);
  }
  return steps;
}

/** The Feishu app configuration for an avatar's own app or the hub, webhook or long connection. */
export function larkManifest(input: ManifestInput): Record<string, unknown> {
  const a = input.avatar;
  const requestUrl = input.socket ? undefined : `${input.baseUrl.replace(/\/+$/, '')}${LARK_EVENTS_PATH}`;
  const active = input.avatars.filter((x) => x.config.status !== 'revoked').map(names);
  const name = a ? { zh_cn: `${names(a).zh}的数字分身`, en_us: a.config.display_name } : { zh_cn: 'Understudy 数字分身', en_us: 'Understudy' };
  const description = a
    ? { zh_cn: `${names(a).zh}的数字分身：根据本人资料回答并注明出处，不是本人。`, en_us: `Digital avatar of ${names(a).en}: answers from their material with sources; not the person.` }
    : {
        zh_cn: `同事的数字分身${active.length ? `（${active.map((n) => n.zh).join('、')}）` : ''}：注明出处，始终表明是分身。`,
        en_us: `Digital avatars of colleagues${active.length ? ` (${active.map((n) => n.en).join(', ')})` : ''}. Cited answers; always says it is an avatar.`,
      };
  return {
    $schema_note: 'Feishu has no manifest import: this file lists what to set in the developer console, in order (see setup).',
    app: {
      app_id: a?.config.apps.lark?.app_id ?? (a ? '<App ID, then add it to avatar.yaml>' : '<App ID: set LARK_APP_ID>'),
      name: { zh_cn: clip(name.zh_cn, LARK_LIMITS.name), en_us: clip(name.en_us, LARK_LIMITS.name) },
      description: { zh_cn: clip(description.zh_cn, LARK_LIMITS.description), en_us: clip(description.en_us, LARK_LIMITS.description) },
      avatar: a ? a.config.slug : 'hub',
    },
    features: { bot: { enabled: true, menu: menu(input) } },
    scopes: { tenant: Object.keys(LARK_SCOPES), why: LARK_SCOPES },
    events: {
      mode: input.socket ? 'long_connection' : 'webhook',
      ...(requestUrl ? { request_url: requestUrl } : {}),
      subscribe: LARK_EVENTS,
      encryption: input.socket ? 'not needed on a long connection' : 'set an Encrypt Key: Understudy rejects unsigned and unencrypted events when one is configured',
    },
    callbacks: { mode: input.socket ? 'long_connection' : 'webhook', ...(requestUrl ? { request_url: requestUrl } : {}), subscribe: LARK_CALLBACKS },
    environment: variables(a),
    setup: setup(input, requestUrl),
  };
}

export const larkManifestGenerator: ManifestGenerator = {
  platform: 'lark',
  suffix: 'lark.json',
  generate: (input) => `${JSON.stringify(larkManifest(input), null, 2)}\n`,
};
