import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { ChatRouter } from '../../src/chat/router';
import type { MessageRef, ReplyTarget } from '../../src/chat/types';
import { readAnswerProgress, saveAnswerProgress } from '../../src/jobs/answer-job';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';

/*
 * Role all answers a journaled event (one with a claim token: the journal entry's id) in process.
 * Its replay by the next run, after a kill -9, passes the dedupe gate with the same token, and
 * finds what the killed run recorded of its answer: the placeholder to update, or the answer out.
 */

/** A transport that finds a keyed post again, as Slack's does through message metadata. */
class FindingTransport extends RecordingTransport {
  async findPosted(_target: ReplyTarget, key: string): Promise<MessageRef | undefined> {
    return this.posts.find((p) => (p.reply.kind === 'status' || p.reply.kind === 'draft') && p.reply.key === key)?.ref;
  }
}

async function setup(file: string, root: string) {
  const store = new SqliteStateStore(file);
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
  for (const a of service.registry.list()) await service.ingest(a.config.slug);
  return { store, router: new ChatRouter({ service, rateLimits: { userPerMinute: 100, workspacePerMinute: 1000 } }) };
}

describe('an event journaled and answered in process (role all)', () => {
  let root: string;
  let file: string;
  beforeEach(() => {
    root = tmpDir();
    makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback, debug later.\n' });
    file = path.join(root, 'state.db');
  });
  const answers = (t: RecordingTransport): number => t.shown().filter((r) => r.kind === 'answer').length;

  it('is answered by its replay after a restart, past its own dedupe claim, and a redelivery under another token is refused', async () => {
    const ev = dmEvent('how do I roll back?', { appAvatar: 'lao-zhang' });
    const a = await setup(file, root);
    // The killed run's state: the claim taken with its entry id, the placeholder set out and posted, no answer.
    const t = new FindingTransport();
    expect(await a.store.claim(`slack:event:${ev.eventId}`, 60_000, 'entry-1')).toBe(true);
    const placeholder = await t.post({ channelId: ev.channelId, userId: ev.userId }, { kind: 'status', text: 'looking…', key: `slack:event:${ev.eventId}` });
    await saveAnswerProgress(a.store, ev.eventId, { posting: Date.now() });
    await a.store.close();

    const b = await setup(file, root);
    // A Slack retry journaled by the new run: another entry, another token.
    await b.router.handle({ ...ev }, t, undefined, 'entry-2');
    expect(answers(t)).toBe(0);
    await b.router.handle({ ...ev }, t, undefined, 'entry-1');
    expect(answers(t)).toBe(1);
    // The answer replaced the placeholder the killed run posted and did not record: no second one.
    expect(t.posts).toHaveLength(1);
    expect(t.updates.find((u) => u.reply.kind === 'answer')?.ref).toEqual(placeholder);
    expect(await readAnswerProgress(b.store, ev.eventId)).toMatchObject({ answered: true, placeholder: { messageId: placeholder.messageId } });
    // Replayed again (a crash before the done mark): answered already, nothing more.
    await b.router.handle({ ...ev }, t, undefined, 'entry-1');
    expect(answers(t)).toBe(1);
    expect(t.posts).toHaveLength(1);
    await b.store.close();
  });

  it('records its answer as it goes out: the placeholder with its key, then answered', async () => {
    const ev = dmEvent('how do I roll back?', { appAvatar: 'lao-zhang' });
    const { store, router } = await setup(file, root);
    const t = new RecordingTransport();
    await router.handle(ev, t, undefined, 'entry-1');
    expect(answers(t)).toBe(1);
    expect(t.posts[0]?.reply).toMatchObject({ kind: 'status', key: `slack:event:${ev.eventId}` });
    expect(await readAnswerProgress(store, ev.eventId)).toMatchObject({ answered: true, placeholder: { messageId: t.posts[0]?.ref.messageId } });
    // An event that is not journaled (the playground's, or before the journal) keeps no record.
    const other = dmEvent('and when should I debug?', { appAvatar: 'lao-zhang' });
    await router.handle(other, t);
    expect(await readAnswerProgress(store, other.eventId)).toEqual({});
    await store.close();
  });
});
