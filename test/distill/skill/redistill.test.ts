import { anchorsIn, synthesizeSkill, type EvidenceChunk, type SkillPerson } from '../../../src/distill/skill';
import { chineseUnits } from './chinese-corpus';
import { section, toEvidence } from './evidence';

const WANG: SkillPerson = { name: '王磊', name_en: 'Wang Lei', title: 'DBA', team: '订单组', languages: ['zh', 'en'], pronoun: 'he' };

describe('re-distilling with the previous skill', () => {
  let v1: EvidenceChunk[];
  let v2: EvidenceChunk[];
  let previous: string;

  beforeAll(async () => {
    v1 = await toEvidence(chineseUnits());
    previous = (await synthesizeSkill({ person: WANG, chunks: v1 })).markdown;
    // The chunk store keeps ids: one message was deleted, two new ones got fresh ids.
    const gone = v1.find((c) => c.text.startsWith('坑：'));
    const fresh = await toEvidence(
      [
        { source: 'feishu/order-team.json', kind: 'feishu', text: '注意：order.events 的保留期只有 3 天，回放必须在 3 天内做完。', locator: 'om_2001', author: '王磊', date: '2026-05-06T09:00:00.000Z' },
        { source: 'feishu/order-team.json', kind: 'feishu', text: '5 月 20 日起 order-db 的慢查询阈值从 500ms 调到 200ms，超过的找我看执行计划。', locator: 'om_2002', author: '王磊', date: '2026-05-08T09:00:00.000Z' },
      ],
      100,
    );
    v2 = [...v1.filter((c) => c !== gone), ...fresh];
  });

  it('changes nothing when the material is the same', async () => {
    const r = await synthesizeSkill({ person: WANG, chunks: v1, previous });
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]).toMatch(/^kept \d+ earlier claims/);
    expect(r.markdown).toBe(previous);
  });

  it('adds claims from new material and removes those whose evidence is gone', async () => {
    const r = await synthesizeSkill({ person: WANG, chunks: v2, previous });
    const gotchas = section(r.markdown, 'Work', 'Gotchas');
    expect(gotchas).toMatch(/order\.events 的保留期只有 3 天 .*\[e:100\]|order\.events 的保留期只有 3 天.*」 \[e:100\]/);
    expect(gotchas).not.toMatch(/坑：patronictl/);
    expect(r.changes).toEqual(expect.arrayContaining([expect.stringMatching(/^added Work\/Gotchas: 「注意：order\.events/), expect.stringMatching(/^removed Work\/Gotchas: 「坑：patronictl.*\(evidence e:13 is no longer in the material\)$/)]));
    const ids = new Set(v2.map((c) => c.id));
    expect(anchorsIn(r.markdown).every((a) => ids.has(a))).toBe(true);
  });

  it('keeps earlier conclusions whose anchors resolve, re-anchors supported ones, drops the rest', async () => {
    const pool = v1.find((c) => c.text.includes('default_pool_size'))?.id;
    const edited = previous.replace(
      '### Responsibilities\n\n',
      '### Responsibilities\n\n' +
        '- Wrote the order-db switchover runbook used by the team. [e:2]\n' +
        '- 「order-db 的连接数上限是 500，pgbouncer-order 的 default_pool_size 是 40」 [e:555]\n' +
        '- Owns the legacy MySQL cluster mysql-legacy-01 and its nightly dumps. [e:556]\n',
    );
    const r = await synthesizeSkill({ person: WANG, chunks: v2, previous: edited });
    const resp = section(r.markdown, 'Work', 'Responsibilities');
    expect(resp).toContain('- Wrote the order-db switchover runbook used by the team. [e:2]');
    expect(resp).toContain(`- 「order-db 的连接数上限是 500，pgbouncer-order 的 default_pool_size 是 40」 [e:${pool}]`);
    expect(resp).not.toContain('mysql-legacy-01');
    expect(r.changes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^re-anchored Work/Responsibilities: 「order-db 的连接数上限是 500.*\\(now e:${pool}\\)$`)),
        expect.stringMatching(/^removed Work\/Responsibilities: Owns the legacy MySQL cluster mysql-legacy-01.*\(evidence e:556 is no longer in the material\)$/),
      ]),
    );
    expect(r.changes[0]).toMatch(/^kept \d+ earlier claims \(\d+ found again in the new material, [1-9]\d* carried over on their evidence, [1-9]\d* re-anchored\)$/);
  });

  it('lands approved corrections newest first, merging near-duplicates, at most 20', async () => {
    // Distinct made-up terms, so only the cap (and not the merging) shortens this list.
    const term = (i: number, j: number) => `zq${((i + 1) * 7919 + j * 104729).toString(36)}`;
    const distinct = Array.from({ length: 22 }, (_, i) => `Term ${term(i, 0)} means ${term(i, 1)} in ${term(i, 2)} reports.`);
    const corrections = [
      'He never says "亲" to colleagues.',
      'Switchovers need 李娜 to confirm replica lag first.',
      'The order-db backup window is 02:00.',
      ...distinct,
      'The order-db backup window is 03:00.',
      'Switchovers need 李娜 to confirm the replica lag first!',
    ];
    // Approved oldest to newest above; the caller passes them newest first.
    const r = await synthesizeSkill({ person: WANG, chunks: v1, corrections: [...corrections].reverse() });
    const lines = section(r.markdown, 'Corrections').split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('- Switchovers need 李娜 to confirm the replica lag first! (merged from 2 corrections)');
    // A newer figure replaces the older one.
    expect(lines[1]).toBe('- The order-db backup window is 03:00. (merged from 2 corrections)');
    expect(lines[2]).toBe(`- ${distinct[21]}`);
    expect(r.markdown).not.toContain('02:00');
    expect(r.markdown).not.toContain('亲');
  });

  it('carries the previous corrections when none are given', async () => {
    const withCorrections = (await synthesizeSkill({ person: WANG, chunks: v1, corrections: ['Say 切主, not failover.'] })).markdown;
    const r = await synthesizeSkill({ person: WANG, chunks: v2, previous: withCorrections });
    expect(section(r.markdown, 'Corrections')).toContain('- Say 切主, not failover.');
  });

  it('refuses empty material and duplicate evidence ids, naming them', async () => {
    await expect(synthesizeSkill({ person: WANG, chunks: [] })).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/no evidence to distil a skill for 王磊/) });
    await expect(synthesizeSkill({ person: WANG, chunks: [v1[0], { ...v1[1], id: v1[0].id }] })).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(new RegExp(`evidence id ${v1[0].id} appears twice`)) });
  });
});
