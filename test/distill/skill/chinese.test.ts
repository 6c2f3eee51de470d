import { anchorsIn, checkSkill, synthesizeSkill, type SynthesisResult } from '../../../src/distill/skill';
import { chineseUnits } from './chinese-corpus';
import { section, toEvidence } from './evidence';

describe('offline synthesis of Chinese chat messages', () => {
  let result: SynthesisResult;
  let ids: Set<number>;

  beforeAll(async () => {
    const chunks = await toEvidence(chineseUnits());
    ids = new Set(chunks.map((c) => c.id));
    result = await synthesizeSkill({ person: { name: '王磊', name_en: 'Wang Lei', title: 'DBA', team: '订单组', languages: ['zh', 'en'], pronoun: 'he' }, chunks });
  });

  it('turns the numbered 先/然后/最后 list into a procedure with its commands', () => {
    const procs = section(result.markdown, 'Work', 'Procedures');
    expect(procs).toMatch(/^\*\*切换步骤/m);
    expect(procs).toMatch(/^2\. 然后用 `patronictl switchover order-db --candidate order-db-2` 切主 \[e:\d+\]$/m);
    expect(procs).toMatch(/^4\. 最后执行 `RESUME order;`/m);
  });

  it('finds decisions, 如果…就 rules and 注意/坑/别忘了 warnings', () => {
    const h = section(result.markdown, 'Work', 'Decision heuristics');
    expect(h).toMatch(/Decided \(2026-03\): 「结论：order-db 的备份保留期从 7 天改成 14 天/);
    expect(h).toMatch(/我们决定下周二/);
    expect(h).toMatch(/如果复制延迟超过 30 秒/);
    const g = section(result.markdown, 'Work', 'Gotchas');
    expect(g).toMatch(/注意：切换前一定要先暂停 order-sync/);
    expect(g).toMatch(/坑：patronictl/);
    expect(g).toMatch(/别忘了/);
  });

  it('names systems and the people to ask', () => {
    const systems = section(result.markdown, 'Work', 'Systems owned');
    expect(systems).toMatch(/order-db/);
    expect(systems).toMatch(/pgbouncer-order/);
    expect(systems).toMatch(/Kafka/);
    const who = section(result.markdown, 'Work', 'Who to ask');
    expect(who).toMatch(/\*\*李娜\*\*/);
    expect(who).toMatch(/\*\*赵强\*\*/);
    expect(who).toMatch(/\*\*孙丽\*\*/);
  });

  it('measures the language mix, greetings and boundaries in Chinese', () => {
    expect(section(result.markdown, 'Persona', 'Language mix')).toMatch(/Chinese: \d+% of messages|mixed Chinese and English: \d+%/);
    expect(section(result.markdown, 'Persona', 'Greetings and sign-offs')).toMatch(/各位好/);
    expect(section(result.markdown, 'Persona', 'Boundaries')).toMatch(/不归我管/);
  });

  it('anchors everything to the messages and passes the quality check', () => {
    expect(anchorsIn(result.markdown).every((a) => ids.has(a))).toBe(true);
    const q = checkSkill(result.markdown, ids);
    expect(q.unresolvedAnchors).toEqual([]);
    expect(q.sections.filter((s) => s.hollow)).toEqual([]);
  });
});
