import path from 'node:path';
import { PassThrough } from 'node:stream';
import { encryptLark, signLarkRequest } from '../../src/adapters/lark/verify';
import { silentLogger } from '../../src/log';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import { serve, type ServeHandle } from '../../src/serve';
import { FakeLark } from './fake-lark';
import { makeAvatar, tmpDir } from './fixtures';
import { LZ_FILES } from './slack-harness';
import type { Logger } from 'pino';

export const HUB_APP = 'cli_a1b2c3d4e5f60001';
export const HUB_SECRET = 'hub-app-secret';
export const HUB_KEY = 'hub-encrypt-key';
export const HUB_TOKEN = 'hub-verification-token';
export const HUB_BOT = 'ou_hubbot0000000000000000000000001';
export const LZ_APP = 'cli_a1b2c3d4e5f60002';
export const LZ_SECRET = 'lz-app-secret';
export const LZ_KEY = 'lz-encrypt-key';
export const LZ_TOKEN = 'lz-verification-token';
export const LZ_BOT = 'ou_lzbot00000000000000000000000002';
export const TENANT = 'tenant_test_1';

/** The same material as the Slack suites, so both platforms answer from one corpus. */
export { LZ_FILES };

const LZ_YAML = `visibility:
  default: team
  rules:
    - path: "private/**"
      visibility: private
      audience: ["lark:ou_mgr"]
    - path: "public/**"
      visibility: public
apps:
  lark:
    app_id: ${LZ_APP}
    app_secret_env: LZ_LARK_APP_SECRET
    encrypt_key_env: LZ_LARK_ENCRYPT_KEY
    verification_token_env: LZ_LARK_VERIFICATION_TOKEN
`;

export function larkWorkspace(): string {
  const root = tmpDir('lark-');
  makeAvatar(root, 'lao-zhang', LZ_FILES, LZ_YAML);
  makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing decisions\n\nThe PLUS membership costs 99 yuan in the first year.\n' });
  return root;
}

export interface SendOptions {
  /** Whose keys sign and encrypt: the hub (default) or lao-zhang's own app. */
  app?: 'hub' | 'lz';
  /** Encrypt and sign (default), or send plaintext with only the token. */
  plain?: boolean;
  /** Sign with this key instead (forgery), or leave the signature off. */
  signKey?: string;
  unsigned?: boolean;
  encryptKey?: string;
  timestamp?: number;
  /** The body exactly as sent (after encryption, if any). */
  raw?: string;
}

export interface LarkHarness {
  root: string;
  fake: FakeLark;
  runtime: Runtime;
  handle: ServeHandle;
  url: string;
  send(body: unknown, opts?: SendOptions): Promise<Response>;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function newFakeLark(): Promise<FakeLark> {
  const fake = new FakeLark();
  await fake.start();
  fake.addApp(HUB_APP, HUB_SECRET, HUB_BOT, 'Understudy');
  fake.addApp(LZ_APP, LZ_SECRET, LZ_BOT, 'lao-zhang-avatar');
  return fake;
}

/** The JSON body Feishu would POST for `event`: encrypted and signed with the app's key unless told otherwise. */
export function wireBody(event: unknown, opts: SendOptions = {}): { raw: string; headers: Record<string, string> } {
  const key = opts.encryptKey ?? (opts.app === 'lz' ? LZ_KEY : HUB_KEY);
  const plain = typeof event === 'string' ? event : JSON.stringify(event);
  const raw = opts.raw ?? (opts.plain ? plain : JSON.stringify({ encrypt: encryptLark(key, plain) }));
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (!opts.plain && !opts.unsigned) Object.assign(headers, signLarkRequest(opts.signKey ?? key, raw, opts.timestamp));
  else if (opts.timestamp !== undefined) headers['x-lark-request-timestamp'] = String(opts.timestamp);
  return { raw, headers };
}

export async function startLark(options: { root?: string; fake?: FakeLark; env?: Record<string, string>; rate?: number; logger?: Logger } = {}): Promise<LarkHarness> {
  const root = options.root ?? larkWorkspace();
  const ownFake = !options.fake;
  const fake = options.fake ?? (await newFakeLark());
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LARK_APP_ID: HUB_APP,
    LARK_APP_SECRET: HUB_SECRET,
    LARK_ENCRYPT_KEY: HUB_KEY,
    LARK_VERIFICATION_TOKEN: HUB_TOKEN,
    LARK_DOMAIN: fake.url,
    LZ_LARK_APP_SECRET: LZ_SECRET,
    LZ_LARK_ENCRYPT_KEY: LZ_KEY,
    LZ_LARK_VERIFICATION_TOKEN: LZ_TOKEN,
    UNDERSTUDY_RATE_USER_PER_MIN: String(options.rate ?? 1000),
    UNDERSTUDY_RATE_WORKSPACE_PER_MIN: String((options.rate ?? 1000) * 10),
    ...options.env,
  };
  const out = new PassThrough();
  out.resume();
  let runtime: Runtime | undefined;
  let handle: ServeHandle;
  try {
    runtime = createRuntime(env, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: options.logger ?? silentLogger });
    handle = await serve(runtime, { stdout: out, stderr: out, stdin: new PassThrough(), env, cwd: root, isTTY: false }, { interactive: false });
  } catch (err) {
    runtime?.close();
    if (ownFake) await fake.stop();
    throw err;
  }
  const rt = runtime;
  const url = `http://127.0.0.1:${handle.port}/lark/events`;
  return {
    root,
    fake,
    runtime: rt,
    handle,
    url,
    async send(body, opts = {}) {
      const { raw, headers } = wireBody(body, opts);
      return fetch(url, { method: 'POST', headers, body: raw });
    },
    idle: () => handle.router.idle(),
    async close() {
      await handle.close();
      rt.close();
      if (ownFake) await fake.stop();
    },
  };
}

let n = 0;

export interface MessageOptions {
  app?: 'hub' | 'lz';
  appId?: string;
  chatType?: 'p2p' | 'group';
  chatId?: string;
  user?: string;
  text?: string;
  /** Raw `content` string (overrides text). */
  content?: string;
  msgType?: string;
  /** @mention the receiving bot at the start of the text. */
  mentionBot?: boolean;
  /** Other people mentioned: appended as @_user_N placeholders. */
  others?: { id: string; name: string }[];
  rootId?: string;
  threadId?: string;
  eventId?: string;
  messageId?: string;
  createTime?: number;
  token?: string;
  userAgent?: string;
}

/** An `im.message.receive_v1` schema 2.0 event as Feishu sends it; the message is also seeded in the fake. */
export function messageEvent(fake: FakeLark | undefined, o: MessageOptions = {}): Record<string, unknown> {
  n++;
  const lz = o.app === 'lz';
  const appId = o.appId ?? (lz ? LZ_APP : HUB_APP);
  const bot = lz ? LZ_BOT : HUB_BOT;
  const chatType = o.chatType ?? 'p2p';
  const chatId = o.chatId ?? (chatType === 'p2p' ? `oc_p2p_${o.user ?? 'ou_u1'}` : 'oc_group1');
  const messageId = o.messageId ?? `om_in_${Date.now().toString(36)}_${n}`;
  const mentions: Record<string, unknown>[] = [];
  let text = o.text ?? '';
  if (o.mentionBot) {
    mentions.push({ key: '@_user_1', id: { open_id: bot, union_id: `on_${bot}`, user_id: '' }, name: lz ? 'lao-zhang-avatar' : 'Understudy', tenant_key: TENANT });
    text = `@_user_1 ${text}`;
  }
  for (const other of o.others ?? []) {
    const key = `@_user_${mentions.length + 1}`;
    mentions.push({ key, id: { open_id: other.id, union_id: `on_${other.id}`, user_id: other.id }, name: other.name, tenant_key: TENANT });
    text = `${text} ${key}`;
  }
  const content = o.content ?? JSON.stringify({ text });
  const createTime = String(o.createTime ?? Date.now());
  fake?.seed({ message_id: messageId, chat_id: chatId, root_id: o.rootId, thread_id: o.threadId, msg_type: o.msgType ?? 'text', content, sender: o.user ?? 'ou_u1', create_time: createTime });
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? `ev_${Date.now().toString(36)}_${n}`,
      event_type: 'im.message.receive_v1',
      create_time: createTime,
      token: o.token ?? (lz ? LZ_TOKEN : HUB_TOKEN),
      app_id: appId,
      tenant_key: TENANT,
    },
    event: {
      sender: { sender_id: { open_id: o.user ?? 'ou_u1', union_id: 'on_u1', user_id: 'u1' }, sender_type: 'user', tenant_key: TENANT },
      message: {
        message_id: messageId,
        root_id: o.rootId,
        parent_id: o.rootId,
        thread_id: o.threadId,
        create_time: createTime,
        update_time: createTime,
        chat_id: chatId,
        chat_type: chatType,
        message_type: o.msgType ?? 'text',
        content,
        mentions: mentions.length ? mentions : undefined,
        user_agent: o.userAgent,
      },
    },
  };
}

/** A v2 event of another type around `event`, with the app's token. */
export function v2Event(type: string, event: Record<string, unknown>, o: { app?: 'hub' | 'lz'; appId?: string; eventId?: string } = {}): Record<string, unknown> {
  n++;
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? `ev_${type}_${n}`, event_type: type, create_time: String(Date.now()), token: o.app === 'lz' ? LZ_TOKEN : HUB_TOKEN, app_id: o.appId ?? (o.app === 'lz' ? LZ_APP : HUB_APP), tenant_key: TENANT },
    event,
  };
}

/** Cards the fake received (create, reply, patch, ephemeral), parsed, in order. */
export function cards(fake: FakeLark): { method: string; chat?: string; messageId?: string; inThread: boolean; card: Record<string, unknown>; text: string }[] {
  return fake.calls
    .filter((c) => !c.failed && ['im.v1.message.create', 'im.v1.message.reply', 'im.v1.message.patch', 'ephemeral.v1.send'].includes(c.method))
    .map((c) => {
      const card = (c.method === 'ephemeral.v1.send' ? c.body.card : c.content) as Record<string, unknown>;
      return { method: c.method, messageId: c.path.split('/')[4], chat: c.body.receive_id as string | undefined, inThread: c.body.reply_in_thread === true, card, text: JSON.stringify(card ?? {}) };
    });
}

/** The answer cards (those with feedback buttons), as finally shown. */
export function answerCards(fake: FakeLark): ReturnType<typeof cards> {
  return cards(fake).filter((c) => c.text.includes('understudy_feedback'));
}

/** Everything shown to anyone, for leak checks. */
export function shownText(fake: FakeLark): string {
  return cards(fake).map((c) => c.text).join('\n');
}
