import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { eventBody, LZ_SECRET, shownText, startSlack, type SlackHarness } from '../helpers/slack-harness';

const FILES = {
  'runbooks/rollback.md': '# Rollback billing-gateway\n\nIf it touches money, roll back first and debug later.\n\n1. Run `deployctl abort billing-gateway --env prod` while the canary is running.\n2. After full rollout run `deployctl rollback billing-gateway --to v2.14.2`.\n',
  'runbooks/rotate.md': '# 轮换 billing-db 密码\n\n每 90 天轮换一次。在 Vault 里执行 `vault write -f database/rotate-role/billing_app_b`，然后两个 PgBouncer 都要 RELOAD。\n',
};

async function setup(): Promise<AvatarService> {
  const root = tmpDir();
  makeAvatar(root, 'lz', FILES);
  const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
  await svc.ingest('lz');
  return svc;
}
let n = 0;
const ask = (svc: AvatarService, question: string) => svc.ask('lz', { question, viewer: LOCAL_VIEWER, conversation: `bad-${n++}`, actor: 'cli:x' });

describe('bad input gets a clear reply, never a crash', () => {
  let svc: AvatarService;
  beforeAll(async () => {
    svc = await setup();
  });
  afterAll(() => svc.close());

  it('empty and whitespace-only (including full-width spaces and newlines)', async () => {
    for (const q of ['', '   ', '\n\t \u3000\u3000']) {
      const a = await ask(svc, q);
      expect(a.grounded).toBe(false);
      expect(a.text).toMatch(/Ask me a question|请直接输入你的问题/);
    }
  });

  it('a 100 KB question is read up to the limit, and says so', async () => {
    const a = await ask(svc, `How do I roll back billing-gateway? ${'x'.repeat(100_000)}`);
    expect(a.text).toMatch(/I read the first 4,000/);
  });

  it('a question that is only emoji or punctuation asks for words instead of searching', async () => {
    for (const q of ['👍', '🤔🤔🤔', '？？？', '!!!', '…']) {
      const a = await ask(svc, q);
      expect([q, a.grounded]).toEqual([q, false]);
      expect([q, /in words|用文字/.test(a.text)]).toEqual([q, true]);
    }
  });

  it('a question that is only a command is told how to ask', async () => {
    const a = await ask(svc, '/rollback');
    expect(a.grounded).toBe(false);
    expect(a.text).toMatch(/looks like a command/);
    const zh = await ask(svc, '/回滚');
    expect(zh.text).toMatch(/像是一条命令/);
  });

  it('mixed Chinese and English, and full-width letters and punctuation, are answered', async () => {
    const mixed = await ask(svc, 'billing-gateway 怎么 roll back？');
    expect(mixed.grounded).toBe(true);
    expect(mixed.citations[0].source).toBe('runbooks/rollback.md');
    const wide = await ask(svc, 'ｂｉｌｌｉｎｇ－ｄｂ　密码多久轮换一次？');
    expect(wide.grounded).toBe(true);
    expect(wide.citations[0].source).toBe('runbooks/rotate.md');
  });
});

describe('bad input through the real Slack receiver', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());
  it('answers an emoji-only DM and a command-only DM with a clear reply', async () => {
    h = await startSlack();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: '🤔🤔' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/in words/);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: '/rollback' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/looks like a command|avatar help|Unknown command/i);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'billing-gateway 怎么 roll back？' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/deployctl rollback/);
  });
});
