import path from 'node:path';
import { answerQuestion } from '../../src/answer/answer';
import type { AvatarService } from '../../src/app/avatar-service';
import type { Viewer } from '../../src/avatars/visibility';
import { readQaFile } from '../../src/eval/qa';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';
import { eventBody, LZ_SECRET, shownText, slackWorkspace, startSlack, type SlackHarness } from '../helpers/slack-harness';
import { demoService } from './demo';

const DM: Viewer = { platform: 'slack', surface: 'dm', userId: 'U_HEDGE' };
const PUBLIC: Viewer = { platform: 'slack', surface: 'public_channel', channelId: 'C_PUB', userId: 'U_HEDGE' };

/** Candidate questions; the test uses whichever the real index rates grounded-but-low and grounded-high. */
const CANDIDATES = [
  'How do I roll back a billing-gateway release?',
  'What command starts a production canary release of billing-gateway?',
  'How often are billing DB passwords rotated?',
  'What do we do about PSP certificates?',
  'Is the canary analysis strict?',
  'What about the recon job and its alerts at night?',
  'How are webhooks verified?',
  'Who owns the gateway after the handover?',
  'Why does idempotency matter for retries?',
  'What happened with the pool in November?',
  'How big should the connection pool be?',
  'Which dashboards matter during on-call?',
];

const ZH_CANDIDATES = [
  '回滚之后还要做什么？',
  '夜里对账任务怎么检查？',
  '证书快过期了怎么办？',
  '连接池应该多大？',
  '发布的时候要注意什么？',
  '值班的时候看哪些面板？',
  '数据库密码怎么换？',
  '幂等键有什么用？',
  '交接之后谁负责？',
  '回调积压了怎么处理？',
];

describe('hedged answers and the topics offered when abstaining', () => {
  jest.setTimeout(60_000);
  let svc: AvatarService;
  beforeAll(async () => {
    svc = await demoService(['lao-zhang']);
  });
  afterAll(() => svc.close());

  async function pick(want: 'high' | 'low', candidates = CANDIDATES): Promise<string> {
    const index = svc.index('lao-zhang');
    // The dev QA questions widen the pool, so the test does not hang on one threshold.
    const lang = /[\u3400-\u9fff]/.test(candidates[0]) ? 'zh' : 'en';
    const qa = readQaFile(path.join(__dirname, '..', '..', 'eval', 'qa', 'lao-zhang.jsonl')).filter((i) => i.lang === lang).map((i) => i.question);
    for (const q of [...candidates, ...qa]) {
      const r = await index.search(q, { k: 6, viewer: DM });
      if (r.grounded && (r.confidence ?? 'high') === want) return q;
    }
    throw new Error(`no candidate question is grounded with ${want} confidence; add one`);
  }

  it('hedges a grounded answer whose evidence is weak, and reports confidence low', async () => {
    const q = await pick('low');
    const a = await svc.ask('lao-zhang', { question: q, viewer: DM, conversation: 'hedge-low', actor: 'x' });
    expect(a).toMatchObject({ grounded: true, confidence: 'low' });
    expect(a.text).toMatch(/closest material I have, which may not answer this/);
    expect(a.citations.length).toBeGreaterThan(0);
  });

  it('answers plainly when the evidence is strong', async () => {
    const q = await pick('high');
    const a = await svc.ask('lao-zhang', { question: q, viewer: DM, conversation: 'hedge-high', actor: 'x' });
    expect(a).toMatchObject({ grounded: true, confidence: 'high' });
    expect(a.text).not.toMatch(/may not answer this/);
  });

  it('hedges in Chinese too', async () => {
    const q = await pick('low', ZH_CANDIDATES);
    const b = await svc.ask('lao-zhang', { question: q, viewer: DM, conversation: 'hedge-zh', actor: 'x' });
    expect(b).toMatchObject({ grounded: true, confidence: 'low', lang: 'zh' });
    expect(b.text).toMatch(/最接近的内容，不一定能回答你的问题/);
  });

  it('a decline is grounded false and offers only titles the viewer may see', async () => {
    const pkg = svc.get('lao-zhang');
    const index = svc.index('lao-zhang');
    const q = "What's the weather in Paris tomorrow?";
    const pub = await answerQuestion({ config: pkg.config, skill: '', index }, { question: q, viewer: PUBLIC, firstContact: false });
    expect(pub).toMatchObject({ grounded: false, confidence: 'low', citations: [] });
    // The demo's public documents are the API FAQ and the webhook guide; runbooks are team-only.
    expect(pub.text).toMatch(/Topics I can answer from: .*(FAQ|[Ww]ebhook)/);
    expect(pub.text).not.toMatch(/[Rr]unbook|[Rr]ollback|[Hh]andover|[Rr]eorg/);
    const dm = await answerQuestion({ config: pkg.config, skill: '', index }, { question: q, viewer: DM, firstContact: false });
    expect(dm.text).toMatch(/Topics I can answer from: /);
    expect(dm.text).not.toMatch(/[Hh]andover|reorg/i);
  });
});

describe('topics in a public channel (real Slack receiver)', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('never names a private or team document when abstaining in a public channel', async () => {
    const root = slackWorkspace();
    const secret = Array.from({ length: 30 }, (_, i) => `## Group ${i}\n\nPerson ${i} in team ${i % 4}: role ${i}, last day pending approval.\n`).join('\n');
    write(root, 'avatars/lao-zhang/corpus/private/rif.md', `# CONFIDENTIAL: reduction-in-force list\n\n${secret}`);
    h = await startSlack({ root });
    await h.send(eventBody({ type: 'app_mention', channel: 'C_PUBLIC', user: 'U1', text: '<@U_LZBOT> What is the Kafka retention for the search cluster?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    const shown = shownText(h.fake.calls);
    expect(shown).toMatch(/I don't have anything on that/);
    expect(shown).not.toMatch(/reduction-in-force|CONFIDENTIAL|Handover notes|Rollback billing-gateway|Deploy billing-gateway/);
    expect(shown).toMatch(/Partner API FAQ/);
  });
});

describe('ask --json', () => {
  it('reports grounded and confidence', async () => {
    const cwd = tmpDir('cli-');
    makeAvatar(cwd, 'lao-zhang', { 'runbooks/deploy.md': '# Deploy billing-gateway\n\nRun `deployctl release billing-gateway --env prod`; the canary goes 5%, 25%, 50%, 100%.\n' });
    const yes = JSON.parse((await runCli(['ask', 'lao-zhang', 'How do I release billing-gateway?', '--json'], { cwd })).stdout);
    expect(yes).toMatchObject({ grounded: true, confidence: expect.stringMatching(/^(high|low)$/) });
    const no = JSON.parse((await runCli(['ask', 'lao-zhang', 'What is the Kafka retention for the search cluster?', '--json', '--data-dir', path.join(cwd, 'data')], { cwd })).stdout);
    expect(no).toMatchObject({ grounded: false, confidence: 'low' });
  });
});
