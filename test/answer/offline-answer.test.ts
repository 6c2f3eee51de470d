import path from 'node:path';
import type { AvatarService } from '../../src/app/avatar-service';
import type { Viewer } from '../../src/avatars/visibility';
import { readQaFile } from '../../src/eval/qa';
import { demoService } from './demo';

const DM: Viewer = { platform: 'slack', surface: 'dm', userId: 'U_OFFLINE' };
let n = 0;
const ask = (svc: AvatarService, slug: string, question: string) => svc.ask(slug, { question, viewer: DM, conversation: `offline-${n++}`, actor: 'x' });
const fences = (s: string) => (s.match(/^\s*(```|~~~)/gm) ?? []).length;

describe('an offline answer reads like an answer', () => {
  jest.setTimeout(120_000);
  let svc: AvatarService;
  beforeAll(async () => {
    svc = await demoService(['lao-zhang', 'lin-xiaoyu']);
  });
  afterAll(() => svc.close());

  it('leads with the command that aborts a billing-gateway release, cited, before the quotes', async () => {
    const a = await ask(svc, 'lao-zhang', 'How do I abort or roll back a billing-gateway release?');
    const [lead] = a.text.split(/Quoted from Lao Zhang's material/);
    expect(lead).toMatch(/deployctl abort billing-gateway --env prod/);
    expect(lead).toMatch(/\[1\]/);
    // The command is inside a whole code block, with its introduction.
    expect(lead).toMatch(/While the canary is still running \(not yet 100%\): \[1\]\n```bash\ndeployctl abort billing-gateway --env prod\n[\s\S]*?\n```/);
    expect(a.citations[0].source).toBe('runbooks/rollback-billing-gateway.md');
    expect(a.citations[0].text).toMatch(/deployctl abort billing-gateway --env prod/);
  });

  it('never quotes a bare heading, never leaves a fence open, on every dev-set question', async () => {
    for (const slug of ['lao-zhang', 'lin-xiaoyu']) {
      const items = readQaFile(path.join(__dirname, '..', '..', 'eval', 'qa', `${slug}.jsonl`));
      for (const item of items) {
        const a = await ask(svc, slug, item.question);
        if (!a.grounded) continue;
        expect([item.question, fences(a.text) % 2]).toEqual([item.question, 0]);
        for (const c of a.citations) {
          expect([item.question, fences(c.text) % 2]).toEqual([item.question, 0]);
          // A quote is more than a heading.
          expect([item.question, c.text.split('\n').every((l) => /^#{1,6}\s/.test(l) || l.trim() === '')]).toEqual([item.question, false]);
        }
        // The answer opens with content, not a heading or the preface.
        expect([item.question, /^(#{1,6}\s|Quoted from|以下引自)/.test(a.text.replace(/^(This is the closest|这是我能找到)[^\n]*\n\n/, ''))]).toEqual([item.question, false]);
      }
    }
  });

  it('leads a Chinese how-to with the steps and their commands, cited', async () => {
    const a = await ask(svc, 'lao-zhang', 'billing-db 密码怎么轮换？');
    expect(a.lang).toBe('zh');
    const [lead] = a.text.split('以下引自');
    expect(lead).toMatch(/```bash\nvault [\s\S]*?\n```/);
    expect(lead).toMatch(/\[1\]/);
  });

  it('quotes the other parts of a long e-mail, where the answer is', async () => {
    // The handover mail is stored in four parts under one Message-ID; the question matches the
    // last one (on-call, leaving) but who takes over, and from when, is in the first.
    const a = await ask(svc, 'lao-zhang', 'Who takes over billing-gateway after Lao Zhang leaves, and from when?');
    const mail = a.citations.find((c) => c.source === 'mail/2026-06-05-billing-gateway-handover.eml');
    expect(mail?.text).toMatch(/you own billing-gateway and billing-db\s+access from 2026-07-01/);
  });

  it('answers "when should I roll back" with the criteria and their headings, not the commands', async () => {
    const a = await ask(svc, 'lao-zhang', 'When should I roll back billing-gateway versus fix forward?');
    const rollback = a.citations.find((c) => c.source === 'runbooks/rollback-billing-gateway.md');
    expect(rollback?.text).toMatch(/roll back first/);
    expect(rollback?.text).toMatch(/## Fix forward instead when\n\n- the fix is a feature flag flip/);
  });

  it('reads the whole runbook section the matched chunk belongs to (the replica count is two chunks away)', async () => {
    const a = await ask(svc, 'lao-zhang', 'How many callback-worker replicas is it worth scaling to during a callback backlog?');
    const [lead] = a.text.split(/Quoted from Lao Zhang's material/);
    expect(lead).toMatch(/\[1\]\n```bash\nkubectl -n payments scale deployment\/callback-worker --replicas=24\n```/);
  });

  it('leads a why-question with the decision and its reason, both cited', async () => {
    const a = await ask(svc, 'lin-xiaoyu', 'Why was UnionPay QR removed from the default payment list?');
    const [lead] = a.text.split(/Quoted from Sarah Lin's material/);
    expect(lead).toMatch(/UnionPay QR moves under "更多支付方式"[^\n]*\[1\]/);
    expect(lead).toMatch(/0\.3% of payments used it, but 1\.8%[\s\S]*?\[1\]/);
  });
});
