import type { LoadResult, SourceUnit, Visibility } from '../types';
import { authorMatcher } from './author-filter';
import { joinLabel, type ExportFiles } from './export-files';
import { parseJsonWithPosition } from './json';
import { blocksText, renderSlackText, type SlackNames } from './slack-text';
import { ZipFormatError } from './zip-archive';

interface SlackUser {
  id: string;
  name?: string;
  real_name?: string;
  profile?: { display_name?: string; real_name?: string };
}
interface SlackChannel {
  id: string;
  name?: string;
  members?: string[];
}
export interface SlackMessage {
  type?: string;
  subtype?: string;
  hidden?: boolean;
  user?: string;
  bot_id?: string | null;
  text?: string;
  ts?: string;
  thread_ts?: string;
  user_profile?: { real_name?: string; display_name?: string; name?: string };
  blocks?: unknown[];
  /** Old exports (before 2019): a comment on a file, written by `comment.user`. */
  comment?: { user?: string; comment?: string };
  file?: { title?: string; name?: string };
}

/** Subtypes that are not anybody's words: joins, topic changes, bots, deletions. */
export const SKIP_SUBTYPES = new Set([
  'channel_join', 'channel_leave', 'channel_topic', 'channel_purpose', 'channel_name', 'channel_archive', 'channel_unarchive',
  'group_join', 'group_leave', 'group_topic', 'group_purpose', 'group_name', 'group_archive', 'group_unarchive',
  'bot_message', 'bot_add', 'bot_remove', 'message_deleted', 'message_changed', 'tombstone', 'pinned_item', 'unpinned_item',
  'reminder_add', 'slackbot_response', 'joiner_notification', 'joiner_notification_for_inviter', 'sh_room_created', 'huddle_thread',
]);

/** Channel lists in an export and who may see them. DMs and group DMs have members instead of names. */
const CHANNEL_FILES: [string, Visibility][] = [
  ['channels.json', 'public'],
  ['groups.json', 'private'],
  ['dms.json', 'private'],
  ['mpims.json', 'private'],
];

const CONTEXT_CHARS = 600;

function isoFromTs(ts: string): string | undefined {
  // The part after the dot is a sequence number, not a fraction of a second.
  const ms = Math.floor(Number(ts)) * 1000;
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

export interface SlackLoadOptions {
  author?: string | string[];
  /** e.g. https://acme.slack.com, to give messages permalinks. */
  workspaceUrl?: string;
}

/** A Slack export's day file, `<channel>/<YYYY-MM-DD>.json`. */
const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.json$/;

/**
 * One unit per human message, `source` = `<export>/<channel>/<YYYY-MM-DD>` (the day file the
 * message is in, without `.json`: a citation names the channel and the day), `locator` = ts. Public channels
 * are `public`; private channels and DMs are `private`, visible to their members. Replies carry
 * their thread's parent as context. A broken day file is reported and the rest still loads.
 */
export function loadSlackExport(files: ExportFiles, label: string, opts: SlackLoadOptions = {}): LoadResult {
  const result: LoadResult = { units: [], skipped: [...files.skipped], errors: [] };
  const readJson = <T>(rel: string, expectArray: boolean): T | undefined => {
    const where = joinLabel(label, rel);
    let buf: Buffer | undefined;
    try {
      buf = files.read(rel);
    } catch (err) {
      // A member of a zip that does not inflate, or inflates past its declared size: report it, load the rest.
      if (!(err instanceof ZipFormatError)) throw err;
      result.errors.push({ path: where, message: `${label}: ${err.message}` });
      return undefined;
    }
    if (!buf) return undefined;
    const parsed = parseJsonWithPosition(buf.toString('utf8'), where);
    if (parsed.error) {
      result.errors.push({ path: where, message: parsed.error.message, position: parsed.error.position });
      return undefined;
    }
    if (expectArray && !Array.isArray(parsed.value)) {
      result.errors.push({ path: where, message: `${where}: expected a JSON array` });
      return undefined;
    }
    return parsed.value as T;
  };

  const names: SlackNames = { users: new Map(), channels: new Map() };
  const identities = new Map<string, string[]>();
  for (const u of readJson<SlackUser[]>('users.json', true) ?? []) {
    if (!u?.id) continue;
    names.users.set(u.id, u.profile?.display_name || u.profile?.real_name || u.real_name || u.name || u.id);
    identities.set(u.id, [u.id, u.name, u.real_name, u.profile?.display_name, u.profile?.real_name].filter((x): x is string => Boolean(x)));
  }
  const channels: { dir: string; channel: SlackChannel; visibility: Visibility }[] = [];
  for (const [file, visibility] of CHANNEL_FILES) {
    for (const c of readJson<SlackChannel[]>(file, true) ?? []) {
      if (!c?.id) continue;
      channels.push({ dir: c.name ?? c.id, channel: c, visibility });
      names.channels.set(c.id, c.name ?? c.id);
    }
  }

  const matches = authorMatcher(opts.author);
  const all = files.list();
  const render = (m: SlackMessage): string => {
    // A file comment's `text` is "<@U1> commented on <@U2>'s file <url|title>: words"; its own words are in `comment`.
    if (m.subtype === 'file_comment' && m.comment?.comment) return renderSlackText(m.comment.comment, names).trim();
    return renderSlackText(m.text?.trim() ? m.text : blocksText(m.blocks, names), names).trim();
  };
  const userOf = (m: SlackMessage): string => m.user ?? (m.subtype === 'file_comment' ? m.comment?.user : undefined) ?? '';
  for (const { dir, channel, visibility } of channels) {
    const messages: SlackMessage[] = [];
    const dayOf = new Map<SlackMessage, string>();
    for (const f of all.filter((x) => x.startsWith(`${dir}/`) && DAY_FILE.test(x.slice(dir.length + 1)))) {
      for (const m of (readJson<SlackMessage[]>(f, true) ?? []).filter((x) => x && typeof x === 'object')) {
        messages.push(m);
        dayOf.set(m, f.slice(dir.length + 1, -'.json'.length));
      }
    }
    // Across the channel's days: a reply's parent may sit in an earlier day file.
    const byTs = new Map(messages.filter((m) => m.ts).map((m) => [m.ts as string, m]));
    const audience = visibility === 'private' ? [...(channel.members ?? []).map((m) => `slack:${m}`), `slack:${channel.id}`] : undefined;
    for (const m of messages) {
      if (m.type !== 'message' || !m.ts || m.hidden || m.bot_id || (m.subtype && SKIP_SUBTYPES.has(m.subtype))) continue;
      const text = render(m);
      if (!text) continue;
      const uid = userOf(m);
      if (matches && !matches(...(identities.get(uid) ?? [uid]), m.user_profile?.real_name, m.user_profile?.display_name, m.user_profile?.name)) continue;
      const name = names.users.get(uid) ?? m.user_profile?.display_name ?? m.user_profile?.real_name ?? uid;
      const unit: SourceUnit = {
        source: joinLabel(label, `${dir}/${dayOf.get(m) ?? ''}`),
        kind: 'slack',
        text,
        locator: m.ts,
        author: uid && name !== uid ? `${name} (${uid})` : name || undefined,
        date: isoFromTs(m.ts),
        title: `#${dir}`,
        visibility,
        audience,
      };
      const isReply = Boolean(m.thread_ts && m.thread_ts !== m.ts);
      const parent = isReply ? byTs.get(m.thread_ts as string) : undefined;
      const parentText = parent && !(parent.subtype && SKIP_SUBTYPES.has(parent.subtype)) ? render(parent) : '';
      if (parent && parentText) {
        const who = names.users.get(userOf(parent)) ?? parent.user_profile?.display_name ?? (userOf(parent) || 'someone');
        unit.context = `${who}: ${parentText.length > CONTEXT_CHARS ? `${parentText.slice(0, CONTEXT_CHARS)}…` : parentText}`;
      }
      const file = m.file?.title || m.file?.name;
      if (m.subtype === 'file_comment' && file && !unit.context) unit.context = `A comment on the file "${file}"`;
      if (opts.workspaceUrl) {
        const base = `${opts.workspaceUrl.replace(/\/+$/, '')}/archives/${channel.id}/p${m.ts.replace('.', '')}`;
        // Slack's own permalinks to replies carry the thread, so the link opens inside it.
        unit.url = isReply ? `${base}?thread_ts=${m.thread_ts}&cid=${channel.id}` : base;
      }
      result.units.push(unit);
    }
  }
  return result;
}
