import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { ChatRouter } from '../../src/chat/router';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';

async function setup(opts: { rate?: number; stateFile?: string; root?: string; store?: SqliteStateStore } = {}) {
  const root = opts.root ?? tmpDir();
  if (!opts.root) {
    makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback, debug later.\n' });
    makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing\n\nThe PLUS membership costs 99 yuan in the first year.\n' });
    makeAvatar(root, 'locked', { 'a.md': '# A\n\nsecret plans for the launch\n' }, 'access:\n  users: ["slack:U_OK"]\n');
  }
  const store = opts.store ?? new SqliteStateStore(opts.stateFile ?? ':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
  for (const a of service.registry.list()) await service.ingest(a.config.slug);
  const router = new ChatRouter({ service, rateLimits: { userPerMinute: opts.rate ?? 100, workspacePerMinute: 1000 } });
  return { root, service, router, store };
}

describe('ChatRouter', () => {
  it('asks for a choice in hub mode, then honours @handle and keeps it sticky for the DM', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('how do I roll back?'), t);
    expect(t.texts()[0]).toMatch(/Which avatar should answer\?[\s\S]*@lao-zhang-avatar/);
    await router.handle(dmEvent('@lao-zhang-avatar how do I roll back?'), t);
    const answer = t.shown().find((r) => r.kind === 'answer');
    expect(answer?.kind === 'answer' && answer.answer.citations[0].source).toBe('rollback.md');
    await router.handle(dmEvent('and when should I debug?'), t);
    expect(t.shown().filter((r) => r.kind === 'answer')).toHaveLength(2);
  });

  it('suggests close handles for an unknown one', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('@lao-zang-avatar hi'), t);
    expect(t.texts()[0]).toMatch(/Did you mean @lao-zhang-avatar/);
  });

  it('answers a retried event once, also after a restart on the same state file', async () => {
    const root = tmpDir();
    makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nroll back first\n' });
    const file = path.join(root, 'state.db');
    const a = await setup({ root, stateFile: file });
    const t = new RecordingTransport();
    const ev = dmEvent('how do I roll back?');
    await a.router.handle(ev, t);
    await a.router.handle({ ...ev }, t);
    a.store.close();
    const b = await setup({ root, stateFile: file });
    await b.router.handle({ ...ev }, t);
    await b.router.handle({ ...ev, eventId: 'EvOther' }, t);
    expect(t.shown().filter((r) => r.kind === 'answer')).toHaveLength(1);
  });

  it('answers a conversation in arrival order when the store answers the first dedupe claim last', async () => {
    // A networked store (PostgreSQL, Redis) may answer the first event's claim after the second's.
    class SlowFirstClaim extends SqliteStateStore {
      slowKey = '';
      private opened!: () => void;
      private readonly open = new Promise<void>((resolve) => (this.opened = resolve));
      override async claim(key: string, ttlMs: number): Promise<boolean> {
        if (key === this.slowKey) await this.open;
        return super.claim(key, ttlMs);
      }
      /** The second question has passed its gates and chosen its avatar: let the first one's claim return. */
      override async setSticky(key: string, avatar: string | null): Promise<void> {
        this.opened();
        return super.setSticky(key, avatar);
      }
    }
    const store = new SlowFirstClaim(':memory:');
    const { router } = await setup({ store });
    const t = new RecordingTransport();
    const first = dmEvent('how do I roll back?', { appAvatar: 'lao-zhang' });
    const second = dmEvent('@lin-xiaoyu-avatar what does the PLUS membership cost?');
    store.slowKey = `slack:event:${first.eventId}`;
    router.dispatch(first, t);
    router.dispatch(second, t);
    await router.idle();
    const answers = t.updates.filter((u) => u.reply.kind === 'answer').map((u) => (u.reply.kind === 'answer' ? u.reply.answer.citations[0]?.source : ''));
    expect(answers).toEqual(['rollback.md', 'pricing.md']);
  });

  it('drops events older than 30 minutes', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('@lao-zhang-avatar roll back?', { sentAt: Date.now() - 31 * 60_000 }), t);
    expect(t.posts).toHaveLength(0);
  });

  it('rate-limits a user politely', async () => {
    const { router } = await setup({ rate: 2 });
    const t = new RecordingTransport();
    for (let i = 0; i < 3; i++) await router.handle(dmEvent('@lao-zhang-avatar roll back?'), t);
    expect(t.texts()[t.texts().length - 1]).toMatch(/faster than I can keep up/);
  });

  it('counts rate limits in the state store, so replicas sharing it share the limit', async () => {
    const { service, store } = await setup({ rate: 2 });
    // A second router on the same store, as another replica would be (PostgreSQL + Redis in production).
    const other = new ChatRouter({ service, rateLimits: { userPerMinute: 2, workspacePerMinute: 1000 } });
    const first = new ChatRouter({ service, rateLimits: { userPerMinute: 2, workspacePerMinute: 1000 } });
    const t = new RecordingTransport();
    await first.handle(dmEvent('@lao-zhang-avatar roll back?'), t);
    await other.handle(dmEvent('@lao-zhang-avatar roll back?'), t);
    expect(t.texts().some((x) => /faster than I can keep up/.test(x))).toBe(false);
    await first.handle(dmEvent('@lao-zhang-avatar roll back?'), t);
    expect(t.texts()[t.texts().length - 1]).toMatch(/faster than I can keep up/);
    expect((await store.hit('rate:user:slack:T1:U1', 2, 60_000)).allowed).toBe(false);
  });

  it('refuses users outside the access list and says why', async () => {
    const { router, store } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('@locked-avatar launch plans?'), t);
    expect(t.texts()[0]).toMatch(/limited to certain people and channels/);
    expect(await store.auditEntries({ action: 'access_denied' })).toHaveLength(1);
    await router.handle(dmEvent('@locked-avatar launch plans?', { userId: 'U_OK' }), t);
    expect(t.shown().some((r) => r.kind === 'answer')).toBe(true);
  });

  it('says a paused avatar is not available', async () => {
    const { router, service } = await setup();
    service.get('lin-xiaoyu').config.status = 'paused';
    const t = new RecordingTransport();
    await router.handle(dmEvent('@lin-xiaoyu-avatar price?'), t);
    expect(t.texts()[0]).toMatch(/not available right now \(paused\)/);
  });

  it('gives help for an empty message and truncates a 40,000-character one with a note', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('@lao-zhang-avatar'), t);
    expect(t.texts()[0]).toMatch(/\/avatar list/);
    await router.handle(dmEvent(`@lao-zhang-avatar roll back ${'y'.repeat(40_000)}`), t);
    expect(t.texts().some((x) => /I read only the first 4,000/.test(x))).toBe(true);
    expect(t.shown().some((r) => r.kind === 'answer')).toBe(true);
  });

  it('runs /avatar list, info, use and help', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('', { kind: 'command', command: 'avatar', text: 'list' }), t);
    expect(t.texts()[0]).toMatch(/@lao-zhang-avatar[\s\S]*@lin-xiaoyu-avatar/);
    await router.handle(dmEvent('', { kind: 'command', command: 'avatar', text: 'info lin-xiaoyu-avatar' }), t);
    expect(t.texts()[1]).toMatch(/digital avatar of Test Person lin-xiaoyu/);
    await router.handle(dmEvent('/avatar use lin-xiaoyu'), t);
    expect(t.texts()[2]).toMatch(/talking to @lin-xiaoyu-avatar/);
    await router.handle(dmEvent('how much is PLUS membership?'), t);
    const a = t.shown().find((r) => r.kind === 'answer');
    expect(a?.kind === 'answer' && a.answer.avatar).toBe('lin-xiaoyu');
    await router.handle(dmEvent('/avatar bogus'), t);
    expect(t.texts()[t.texts().length - 1]).toMatch(/Unknown subcommand "bogus"/);
    await router.handle(dmEvent('/frobnicate'), t);
    expect(t.texts()[t.texts().length - 1]).toMatch(/Unknown command \/frobnicate/);
  });

  it('in a channel answers a mention in a thread, and then follow-ups in that thread only', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    const base = { channelId: 'C1', channelType: 'public_channel' as const };
    await router.handle(dmEvent('just chatting', base), t);
    expect(t.posts).toHaveLength(0);
    const mention = dmEvent('@lao-zhang-avatar how do I roll back?', { ...base, mentioned: true });
    await router.handle(mention, t);
    expect(t.posts[0].target.threadId).toBe(mention.messageId);
    await router.handle(dmEvent('and then?', { ...base, threadId: mention.messageId }), t);
    expect(t.shown().filter((r) => r.kind === 'answer')).toHaveLength(2);
    await router.handle(dmEvent('unrelated thread', { ...base, threadId: '1699999999.000001' }), t);
    expect(t.shown().filter((r) => r.kind === 'answer')).toHaveLength(2);
  });

  it('replaces the status placeholder with the answer', async () => {
    const { router } = await setup();
    const t = new RecordingTransport();
    await router.handle(dmEvent('@lao-zhang-avatar roll back?'), t);
    expect(t.posts[0].reply.kind).toBe('status');
    expect(t.updates[0].ref).toEqual(t.posts[0].ref);
    expect(t.updates[0].reply.kind).toBe('answer');
  });
});
