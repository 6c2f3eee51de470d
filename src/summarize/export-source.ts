import fs from 'node:fs';
import path from 'node:path';
import type { LoadIssue, SkippedFile } from '../corpus/types';
import { folderFiles, zipFiles, type ExportFiles } from '../corpus/loaders/export-files';
import { ZipFormatError } from '../corpus/loaders/zip-archive';
import { asFeishuExport } from '../corpus/loaders/feishu-export';
import { parseJsonWithPosition } from '../corpus/loaders/json';
import { DEFAULT_MAX_FILE_BYTES } from '../corpus/loaders/size';
import type { SlackNames } from '../corpus/loaders/slack-text';
import { UnderstudyError } from '../errors';
import { suggest } from '../util/suggest';
import { DAY_MS, type HistoryMessage } from './message';
import { countReplies } from '../chat/history';
import { feishuSender, fromFeishuMessage } from '../corpus/loaders/feishu-history';
import { fromSlackMessage, type RawSlackMessage } from '../corpus/loaders/slack-history';

export interface ExportHistory {
  messages: HistoryMessage[];
  channel: { id: string; name: string; isPrivate: boolean };
  /** Day files (or messages) that could not be read: skipped, and reported here. */
  errors: LoadIssue[];
  skipped: SkippedFile[];
}

export interface ExportQuery {
  /** Channel name (with or without #) or id; for Feishu, ignored (one chat per file). */
  channel?: string;
  since?: number;
  until?: number;
  /** Only this thread (Slack thread_ts, Feishu root message id). */
  thread?: string;
  /** e.g. https://acme.slack.com: gives every message its permalink. */
  workspaceUrl?: string;
}

const CHANNEL_FILES: [string, boolean][] = [
  ['channels.json', false],
  ['groups.json', true],
  ['mpims.json', true],
  ['dms.json', true],
];

function openExport(p: string): ExportFiles {
  const label = path.basename(p);
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    // An export unpacked into a folder of its own: look one level down for users.json.
    if (!fs.existsSync(path.join(p, 'channels.json'))) {
      const inner = fs.readdirSync(p).filter((d) => fs.existsSync(path.join(p, d, 'channels.json')));
      if (inner.length === 1) return folderFiles(path.join(p, inner[0]), DEFAULT_MAX_FILE_BYTES, label);
    }
    return folderFiles(p, DEFAULT_MAX_FILE_BYTES, label);
  }
  try {
    return zipFiles(fs.readFileSync(p), DEFAULT_MAX_FILE_BYTES, label);
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    throw new UnderstudyError('PARSE_FAILED', `${p}: not a readable Slack export zip (${err.message}); unzip it and pass the folder, or export again`, { cause: err, details: { file: p } });
  }
}

/**
 * One channel's history from a Slack export (folder or .zip). Only the day files that can hold
 * the range are parsed; a malformed day file is skipped and reported with its position.
 */
export function readSlackExportHistory(exportPath: string, q: ExportQuery): ExportHistory {
  if (!fs.existsSync(exportPath)) throw new UnderstudyError('FILE_UNREADABLE', `Slack export not found: ${exportPath}`);
  const files = openExport(exportPath);
  const errors: LoadIssue[] = [];
  const readJson = (rel: string): unknown => {
    let buf: Buffer | undefined;
    try {
      buf = files.read(rel);
    } catch (err) {
      // A member that does not inflate (or inflates past its declared size): report it, read the rest.
      if (!(err instanceof ZipFormatError)) throw err;
      errors.push({ path: rel, message: `${rel}: ${err.message}` });
      return undefined;
    }
    if (!buf) return undefined;
    const parsed = parseJsonWithPosition(buf.toString('utf8'), rel);
    if (parsed.error) {
      errors.push({ path: rel, message: parsed.error.message, position: parsed.error.position });
      return undefined;
    }
    return parsed.value;
  };
  const names: SlackNames = { users: new Map(), channels: new Map() };
  const users = readJson('users.json');
  for (const u of Array.isArray(users) ? users : []) {
    const x = u as { id?: string; name?: string; real_name?: string; profile?: { display_name?: string; real_name?: string } };
    if (x?.id) names.users.set(x.id, x.profile?.display_name || x.profile?.real_name || x.real_name || x.name || x.id);
  }
  const channels: { id: string; name: string; isPrivate: boolean }[] = [];
  for (const [file, isPrivate] of CHANNEL_FILES) {
    const list = readJson(file);
    for (const c of Array.isArray(list) ? list : []) {
      const x = c as { id?: string; name?: string };
      if (!x?.id) continue;
      channels.push({ id: x.id, name: x.name ?? x.id, isPrivate });
      names.channels.set(x.id, x.name ?? x.id);
    }
  }
  if (channels.length === 0) throw new UnderstudyError('PARSE_FAILED', `${exportPath}: no channels.json (or groups/dms/mpims.json) with channels: is this a Slack export?`);
  const want = (q.channel ?? '').replace(/^#/, '');
  const channel = channels.find((c) => c.name === want || c.id === want);
  if (!channel) {
    const close = suggest(want, channels.map((c) => c.name));
    throw new UnderstudyError(
      'INPUT_INVALID',
      `${want ? `No channel "${want}"` : 'No --channel given'} in ${exportPath}.${close.length ? ` Did you mean ${close.join(', ')}?` : ''} Channels: ${channels.map((c) => c.name).join(', ')}`,
    );
  }
  const dir = channel.name;
  const threadMs = q.thread ? Math.floor(Number(q.thread) * 1000) : undefined;
  // A day file is named by its UTC date; a message of the range can be a day either side.
  const lo = threadMs ?? (q.since !== undefined ? q.since - DAY_MS : -Infinity);
  const hi = q.thread ? Infinity : q.until !== undefined ? q.until + DAY_MS : Infinity;
  const days = files
    .list()
    .filter((f) => f.startsWith(`${dir}/`) && /^\d{4}-\d{2}-\d{2}\.json$/.test(f.slice(dir.length + 1)))
    .filter((f) => {
      const day = Date.parse(`${f.slice(dir.length + 1, dir.length + 11)}T00:00:00Z`);
      return day + DAY_MS >= lo && day <= hi;
    });
  const messages: HistoryMessage[] = [];
  for (const f of days) {
    const value = readJson(f);
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      errors.push({ path: f, message: `${f}: expected a JSON array of messages` });
      continue;
    }
    for (const raw of value) {
      if (!raw || typeof raw !== 'object') continue;
      const m = fromSlackMessage(raw as RawSlackMessage, channel.id, names, q.workspaceUrl);
      if (!m?.text) continue;
      if (q.thread && m.id !== q.thread && m.threadId !== q.thread) continue;
      if (q.since !== undefined && m.ts < q.since) continue;
      if (q.until !== undefined && m.ts > q.until) continue;
      messages.push(m);
    }
  }
  return { messages, channel, errors, skipped: files.skipped };
}

/**
 * A Feishu chat's history from an export file or saved im.v1.message.list pages. Feishu gives
 * no permalink per message, so these messages carry no link; summaries cite them by time and id.
 */
export function readFeishuExportHistory(file: string, q: ExportQuery): ExportHistory {
  if (!fs.existsSync(file)) throw new UnderstudyError('FILE_UNREADABLE', `Feishu export not found: ${file}`);
  const parsed = parseJsonWithPosition(fs.readFileSync(file, 'utf8'), file);
  if (parsed.error) throw new UnderstudyError('PARSE_FAILED', parsed.error.message);
  const exp = asFeishuExport(parsed.value);
  if (!exp) throw new UnderstudyError('PARSE_FAILED', `${file}: not a Feishu export (expected items of im.v1.message, or data.items)`);
  const errors: LoadIssue[] = [];
  const known = new Map<string, string>(Object.entries(exp.users ?? {}));
  for (const m of exp.items) {
    const s = m && typeof m === 'object' ? feishuSender(m) : undefined;
    if (s?.id && s.name && !known.has(s.id)) known.set(s.id, s.name);
  }
  const all: HistoryMessage[] = [];
  exp.items.forEach((m, i) => {
    try {
      const h = fromFeishuMessage(m, (id) => known.get(id));
      if (h) all.push(h);
    } catch (err) {
      errors.push({ path: file, message: `${file}: message ${i} (${m.message_id ?? 'no id'}): malformed body.content: ${(err as Error).message}`, position: `items[${i}]` });
    }
  });
  countReplies(all);
  const messages = all.filter(
    (m) => (!q.thread || m.id === q.thread || m.threadId === q.thread) && (q.since === undefined || m.ts >= q.since) && (q.until === undefined || m.ts <= q.until),
  );
  const chatId = exp.chat?.chat_id ?? messages[0]?.channelId ?? path.basename(file);
  return { messages, channel: { id: chatId, name: exp.chat?.name ?? chatId, isPrivate: exp.chat?.chat_type === 'p2p' }, errors, skipped: [] };
}
