import type { SourceUnit } from '../../../src/corpus/types';
import { anchorsIn, checkSkill, synthesizeSkill, type SynthesisResult } from '../../../src/distill/skill';
import { section, toEvidence } from './evidence';

// Wang Lei, DBA of the order team, in the team's Feishu group. Written for this test.
const MESSAGES = [
  '各位好，订单库 order-db 今晚 23:00 做主从切换，预计影响 5 分钟。',
  '切换步骤：\n1. 先在 pgbouncer-order 上执行 `PAUSE order;`\n2. 然后用 `patronictl switchover order-db --candidate order-db-2` 切主\n3. 确认 `SELECT pg_is_in_recovery();` 在新主上返回 f\n4. 最后执行 `RESUME order;` 并观察 5 分钟错误率',
  '注意：切换前一定要先暂停 order-sync 任务，不然会重复写入。上次 3 月 12 日就是这么出的事故。',
  '结论：order-db 的备份保留期从 7 天改成 14 天，就这么定了。',
  '如果复制延迟超过 30 秒，就先别切，找 @李娜 确认从库状态。',
  '别忘了切换后更新 Grafana 里订单库看板的变量。',
  '磁盘告警的问题找赵强，他负责存储。',
  '好的，收到。我在看。',
  '我们决定下周二开始把 order-sync 迁到 Kafka，先灰度 10% 的流量，然后每天加 20%。',
  'order-sync 的消费延迟我看了一下，峰值 1,200 条，主要是 11 点那一波下单。',
  '谢谢大家，今晚 order-db 切换顺利，错误率峰值 0.3%，2 分钟恢复。',
  'order-db 的连接数上限是 500，pgbouncer-order 的 default_pool_size 是 40，别随便改。',
  '坑：patronictl 的配置文件在 /etc/patroni/order.yml，不是默认路径，执行时要加 -c 参数。',
  '这个不归我管，支付那边的问题请找孙丽。',
  '原则上大促前一周不做任何数据库变更，order-db 和 pgbouncer-order 都一样。',
  'Kafka 的 topic 是 order.events，24 个分区，保留 3 天。',
  'PR 已经提了，麻烦 review 一下：order-sync 的 retry 逻辑改成 exponential backoff。',
  '@李娜 从库 order-db-2 的复制延迟现在是多少？切换前我要确认一下。',
];

export function chineseUnits(): SourceUnit[] {
  return MESSAGES.map((text, i) => ({
    source: 'feishu/order-team.json',
    kind: 'feishu',
    text,
    locator: `om_${1000 + i}`,
    title: '#订单组',
    author: '王磊',
    date: new Date(Date.UTC(2026, 2, 1 + i * 2, 14)).toISOString(),
  }));
}

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
