import fs from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { authorMatcher } from '../author';
import type { LoadResult, SourceUnit, Visibility } from '../types';
import { parseJsonWithPosition } from './json';

/** Read access to an export, whether a folder or a .zip. Paths are relative to the export root. */
export interface ExportFiles {
  list(): string[];
  read(rel: string): Buffer | undefined;
}

export function folderFiles(dir: string): ExportFiles {
  const all: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const abs = path.join(d, name);
      if (fs.statSync(abs).isDirectory()) walk(abs, `${prefix}${name}/`);
      else all.push(`${prefix}${name}`);
    }
  };
  walk(dir, '');
  return { list: () => all, read: (rel) => (all.includes(rel) ? fs.readFileSync(path.join(dir, rel)) : undefined) };
}

export function zipFiles(buf: Buffer): ExportFiles {
  const raw = unzipSync(new Uint8Array(buf));
  const names = Object.keys(raw).filter((n) => !n.endsWith('/') && !n.startsWith('__MACOSX/'));
  // Exports are sometimes zipped with a top-level folder around them.
  const usersAt = names.find((n) => n === 'users.json' || n.endsWith('/users.json')) ?? 'users.json';
  const prefix = usersAt.slice(0, usersAt.length - 'users.json'.length);
  const files = new Map(names.filter((n) => n.startsWith(prefix)).map((n) => [n.slice(prefix.length), raw[n]]));
  return { list: () => [...files.keys()].sort(), read: (rel) => (files.has(rel) ? Buffer.from(files.get(rel) as Uint8Array) : undefined) };
}

interface SlackUser {
  id: string;
  name?: string;
  real_name?: string;
  is_bot?: boolean;
  profile?: { display_name?: string; real_name?: string };
}
interface SlackChannel {
  id: string;
  name?: string;
  members?: string[];
}
interface SlackMessage {
  type?: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  user_profile?: { real_name?: string; display_name?: string; name?: string };
  blocks?: unknown[];
  files?: { name?: string; title?: string }[];
}

const SKIP_SUBTYPES = new Set(['channel_join', 'channel_leave', 'channel_topic', 'channel_purpose', 'channel_name', 'bot_message', 'message_deleted', 'group_join', 'group_leave', 'pinned_item', 'channel_archive', 'tombstone']);

/** Slack's mrkdwn to plain text: mentions to @name, links to their label, entities decoded. */
export function renderSlackText(text: string, names: Map<string, string>): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, label?: string) => `@${label ?? names.get(id) ?? id}`)
    .replace(/<#[CG][A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^[A-Z0-9]+\|([^>]+)>/g, '$1')
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:\/\/[^>]+)>/g, '$1')
    .replace(/<mailto:([^|>]+)(?:\|[^>]+)?>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Text of rich_text blocks, for messages whose `text` is empty. */
function blocksText(blocks: unknown[] | undefined): string {
  const out: string[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; text?: unknown; elements?: unknown[]; url?: string };
    if (n.type === 'text' && typeof n.text === 'string') out.push(n.text);
    else if (n.type === 'link' && typeof n.url === 'string') out.push(typeof n.text === 'string' ? n.text : n.url);
    if (Array.isArray(n.elements)) n.elements.forEach(visit);
    if (n.text && typeof n.text === 'object') visit(n.text);
  };
  (blocks ?? []).forEach(visit);
  return out.join('');
}

function isoFromTs(ts: string): string | undefined {
  const ms = Number(ts) * 1000;
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

/**
 * One unit per human message. Public channels are `public`; private channels and DMs are
 * `private`, visible to their members only. Replies carry their thread's parent as context.
 */
export function loadSlackExport(files: ExportFiles, source: string, opts: { author?: string | string[]; workspaceUrl?: string } = {}): LoadResult {
  const result: LoadResult = { units: [], skipped: [], errors: [] };
  const readJson = <T>(rel: string): T | undefined => {
    const buf = files.read(rel);
    if (!buf) return undefined;
    const parsed = parseJsonWithPosition(buf.toString('utf8'), `${source}/${rel}`);
    if (parsed.error) {
      result.errors.push({ path: `${source}/${rel}`, message: parsed.error.message, position: parsed.error.position });
      return undefined;
    }
    return parsed.value as T;
  };
  const users = readJson<SlackUser[]>('users.json') ?? [];
  const names = new Map<string, string>();
  const userIds = new Map<string, string[]>();
  for (const u of users) {
    const display = u.profile?.display_name || u.profile?.real_name || u.real_name || u.name || u.id;
    names.set(u.id, display);
    userIds.set(u.id, [u.id, u.name, u.real_name, u.profile?.display_name, u.profile?.real_name].filter((x): x is string => Boolean(x)));
  }
  const channels: { dir: string; channel: SlackChannel; visibility: Visibility }[] = [];
  for (const [file, visibility] of [['channels.json', 'public'], ['groups.json', 'private'], ['dms.json', 'private'], ['mpims.json', 'private']] as const) {
    for (const c of readJson<SlackChannel[]>(file) ?? []) channels.push({ dir: c.name ?? c.id, channel: c, visibility });
  }
  const matches = authorMatcher(opts.author);
  const all = files.list();
  for (const { dir, channel, visibility } of channels) {
    const dayFiles = all.filter((f) => f.startsWith(`${dir}/`) && /\d{4}-\d{2}-\d{2}\.json$/.test(f));
    const messages: SlackMessage[] = [];
    for (const f of dayFiles) {
      const day = readJson<SlackMessage[]>(f);
      if (day === undefined) continue;
      if (!Array.isArray(day)) {
        result.errors.push({ path: `${source}/${f}`, message: `${source}/${f}: expected an array of messages` });
        continue;
      }
      messages.push(...day);
    }
    const byTs = new Map(messages.filter((m) => m.ts).map((m) => [m.ts as string, m]));
    const audience = visibility === 'private' ? (channel.members ?? []).map((m) => `slack:${m}`).concat(`slack:${channel.id}`) : undefined;
    for (const m of messages) {
      if (m.type !== 'message' || !m.ts || (m.subtype && SKIP_SUBTYPES.has(m.subtype)) || m.bot_id) continue;
      const raw = m.text?.trim() ? m.text : blocksText(m.blocks);
      const text = renderSlackText(raw ?? '', names).trim();
      if (!text) continue;
      const uid = m.user ?? '';
      const ids = [...(userIds.get(uid) ?? [uid]), m.user_profile?.real_name, m.user_profile?.display_name, m.user_profile?.name];
      if (matches && !matches(...ids)) continue;
      const parent = m.thread_ts && m.thread_ts !== m.ts ? byTs.get(m.thread_ts) : undefined;
      const parentText = parent ? renderSlackText(parent.text?.trim() ? parent.text : blocksText(parent.blocks), names).trim() : '';
      const unit: SourceUnit = {
        source: `${source}/${dir}`,
        kind: 'slack',
        text,
        locator: m.ts,
        author: `${names.get(uid) ?? m.user_profile?.real_name ?? uid}${uid ? ` (${uid})` : ''}`,
        date: isoFromTs(m.ts),
        title: `#${dir}`,
        visibility,
        audience,
      };
      if (parentText) unit.context = `${names.get(parent?.user ?? '') ?? parent?.user ?? 'someone'}: ${parentText.slice(0, 600)}`;
      if (opts.workspaceUrl) unit.url = `${opts.workspaceUrl.replace(/\/$/, '')}/archives/${channel.id}/p${m.ts.replace('.', '')}${parent ? `?thread_ts=${m.thread_ts}` : ''}`;
      result.units.push(unit);
    }
  }
  return result;
}
