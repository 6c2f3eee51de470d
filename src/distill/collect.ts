import fs from 'node:fs';
import path from 'node:path';
import { COLLECTED_CHAT_FORMAT, type CollectedChatFile } from '../corpus/loaders/collected-chat';
import { maskFileBytes, maskFileName } from '../corpus/mask-files';
import { redact } from '../corpus/redact';
import type { ChatPlatform } from '../corpus/types';
import type { StateStore } from '../store/types';
import { mkdirPrivate, writeFileAtomic } from '../util/fs-atomic';
import { readHistory, type HistoryChannel, type HistoryMessage, type HistoryReader } from '../chat/history';
import type { ConsentRequest } from './consent';

export interface CollectionProgress {
  channels: number;
  channelsDone: number;
  messages: number;
  pages: number;
}

interface ChannelState extends HistoryChannel {
  cursor?: string;
  done: boolean;
  kept: number;
}

interface JobState {
  listed: boolean;
  channels: ChannelState[];
  pages: number;
}

const JOBS = 'distill-jobs';

function matchesScope(ch: HistoryChannel, wanted: string[]): boolean {
  if (wanted.length === 0) return true;
  return wanted.some((w) => {
    const name = w.replace(/^#/, '').toLowerCase();
    return ch.id === w || ch.name.toLowerCase() === name;
  });
}

/**
 * Collect the subject's messages (and the thread openers they answered) from every channel in
 * scope, page by page. The cursor of each channel is saved after every page, so a crashed run
 * resumes where it stopped; messages are keyed by id, so a replayed page adds no duplicates.
 */
export async function collectHistory(
  req: ConsentRequest,
  reader: HistoryReader,
  store: StateStore,
  stagingDir: string,
  onProgress: (p: CollectionProgress) => void = () => undefined,
): Promise<Map<string, { channel: ChannelState; messages: Map<string, HistoryMessage> }>> {
  const subject = req.subject.id.replace(/^[a-z]+:/, '');
  const oldest = req.scope.since ? Date.parse(req.scope.since) : undefined;
  let state = (await store.kvGet<JobState>(JOBS, req.id)) ?? { listed: false, channels: [], pages: 0 };
  if (!state.listed) {
    const all = await reader.listChannels();
    state = { listed: true, pages: 0, channels: all.filter((c) => matchesScope(c, req.scope.channels)).map((c) => ({ ...c, done: false, kept: 0 })) };
    await store.kvSet(JOBS, req.id, state);
  }
  mkdirPrivate(stagingDir);
  const progress = (): CollectionProgress => ({
    channels: state.channels.length,
    channelsDone: state.channels.filter((c) => c.done).length,
    messages: state.channels.reduce((s, c) => s + c.kept, 0),
    pages: state.pages,
  });
  for (const ch of state.channels) {
    const staging = path.join(stagingDir, `${ch.id}.jsonl`);
    while (!ch.done) {
      const page = await reader.page(ch.id, { oldest }, ch.cursor);
      const kept: HistoryMessage[] = [];
      for (const m of page.messages) {
        const mine = m.userId === subject;
        if ((m.replyCount ?? 0) > 0) {
          const replies = await readHistory(reader, ch.id, { threadId: m.threadId ?? m.id });
          const theirs = replies.filter((r) => r.userId === subject && r.id !== m.id);
          if (mine || theirs.length > 0) kept.push(m, ...theirs);
        } else if (mine) kept.push(m);
      }
      if (req.scope.files && reader.downloadFile) await saveSharedFiles(kept.filter((m) => m.userId === subject), reader, path.join(stagingDir, 'files'));
      // Masked before it touches the disk: staging, and so the corpus copies made from it.
      if (kept.length) fs.appendFileSync(staging, kept.map((m) => JSON.stringify({ ...m, text: redact(m.text).text, files: m.files?.map((f) => ({ name: maskFileName(f.name), skipped: f.skipped })) })).join('\n') + '\n');
      ch.kept += kept.filter((m) => m.userId === subject).length;
      ch.cursor = page.next;
      ch.done = !page.next;
      state.pages++;
      await store.kvSet(JOBS, req.id, state);
      onProgress(progress());
    }
  }
  const out = new Map<string, { channel: ChannelState; messages: Map<string, HistoryMessage> }>();
  for (const ch of state.channels) {
    const staging = path.join(stagingDir, `${ch.id}.jsonl`);
    const messages = new Map<string, HistoryMessage>();
    if (fs.existsSync(staging)) {
      for (const line of fs.readFileSync(staging, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const m = JSON.parse(line) as HistoryMessage & { at?: number; permalink?: string };
          // Staged before the history port, a line says `at` and `permalink`.
          m.ts ??= m.at as number;
          m.link ??= m.permalink;
          messages.set(m.id, m);
        } catch {
          // A line cut short by a crash: the page it came from is collected again.
        }
      }
    }
    if (messages.size > 0) out.set(ch.id, { channel: ch, messages });
  }
  return out;
}

/** Download the files a message shares (text formats, where scopes allow) into the staging folder. */
async function saveSharedFiles(messages: HistoryMessage[], reader: HistoryReader, dir: string): Promise<void> {
  for (const m of messages) {
    for (let i = 0; i < (m.files?.length ?? 0); i++) {
      const f = await (reader.downloadFile as NonNullable<HistoryReader['downloadFile']>)(m, i);
      const name = maskFileName(f.name);
      (m.files as NonNullable<HistoryMessage['files']>)[i] = { name, skipped: f.skipped };
      if (f.data) {
        mkdirPrivate(dir);
        fs.writeFileSync(path.join(dir, `${m.id.replace(/[^\w.-]/g, '_')}-${name.replace(/[^\w.\u4e00-\u9fff-]+/g, '_')}`), maskFileBytes(f.name, f.data).data, { mode: 0o600 });
      }
    }
  }
}

/** Shared files saved during collection: copied into the corpus next to the chat files. */
export function copySharedFiles(stagingDir: string, corpusDir: string, platform: string): { copied: string[]; notes: string[] } {
  const dir = path.join(stagingDir, 'files');
  const copied: string[] = [];
  if (fs.existsSync(dir)) {
    for (const name of fs.readdirSync(dir)) {
      const rel = path.posix.join('chat', platform, 'files', name);
      mkdirPrivate(path.join(corpusDir, path.dirname(rel)));
      fs.copyFileSync(path.join(dir, name), path.join(corpusDir, rel));
      fs.chmodSync(path.join(corpusDir, rel), 0o600);
      copied.push(rel);
    }
  }
  return { copied, notes: [] };
}

/** Count of the subject's own messages in what was collected. */
export function subjectMessages(collected: Map<string, { messages: Map<string, HistoryMessage> }>, subjectId: string): number {
  const id = subjectId.replace(/^[a-z]+:/, '');
  let n = 0;
  for (const { messages } of collected.values()) for (const m of messages.values()) if (m.userId === id) n++;
  return n;
}

/** Write one neutral chat file per channel into the avatar's corpus; returns their relative paths. */
export function writeCollected(
  corpusDir: string,
  platform: ChatPlatform,
  collected: Map<string, { channel: ChannelState; messages: Map<string, HistoryMessage> }>,
): string[] {
  const files: string[] = [];
  for (const { channel, messages } of collected.values()) {
    const rel = path.posix.join('chat', platform, `${channel.name.replace(/[^\w.-]+/g, '_') || channel.id}-${channel.id}.json`);
    const file: CollectedChatFile = {
      format: COLLECTED_CHAT_FORMAT,
      platform,
      channel: { id: channel.id, name: channel.name, private: channel.private, members: channel.members },
      messages: [...messages.values()]
        .sort((a, b) => a.ts - b.ts)
        .map((m) => ({ id: m.id, at: m.ts, userId: m.userId, userName: m.userName, text: redact(m.text).text, threadId: m.threadId, permalink: m.link })),
    };
    writeFileAtomic(path.join(corpusDir, rel), JSON.stringify(file, null, 1));
    files.push(rel);
  }
  return files;
}

export async function clearJob(store: StateStore, requestId: string, stagingDir: string): Promise<void> {
  await store.kvDelete(JOBS, requestId);
  fs.rmSync(stagingDir, { recursive: true, force: true });
}
