import { nearDuplicateGroups } from '../../src/corpus/dedupe';

const rollback =
  'Please roll back billing-gateway to v2.14.2 with deployctl rollback before you debug the error rate spike, then tell the on-call channel what you saw and open an incident ticket.';
const lunch = 'Lunch is at noon on Friday in the usual noodle place near the office, everyone is welcome and Lao Zhang is paying this time.';

/** A small deterministic generator, so large inputs are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('nearDuplicateGroups', () => {
  it('collapses whitespace, case and punctuation changes into the first text', () => {
    const texts = [rollback, rollback.toUpperCase(), rollback.replace(/ /g, '  ').replace(/,/g, ' ;'), `  ${rollback.replace('.', '!!!')}\n`, lunch];
    expect(nearDuplicateGroups(texts)).toEqual([0, 0, 0, 0, 4]);
  });

  it('collapses a one-word change and a quoted copy', () => {
    const quoted = rollback
      .split(', ')
      .map((l) => `> ${l}`)
      .join(',\n');
    expect(nearDuplicateGroups([lunch, rollback, rollback.replace('spike', 'jump'), quoted])).toEqual([0, 1, 1, 1]);
  });

  it('keeps texts that only share boilerplate', () => {
    const sig = 'Thanks, Phillip Allen, Enron North America, gas trading desk, 1400 Smith Street, Houston. This e-mail may contain confidential information.';
    const texts = [
      `The Topock basis is widening again this week, so hold the January position. ${sig}`,
      `Please send the San Marcos rent roll and the loan numbers before Friday. ${sig}`,
      `Can you check whether the Kern River capacity release went through? ${sig}`,
    ];
    expect(nearDuplicateGroups(texts)).toEqual([0, 1, 2]);
  });

  it('keeps texts that differ in more than a word or two', () => {
    const variants = [rollback, rollback.replace('billing-gateway to v2.14.2', 'ledger-writer to v3.1.0').replace('error rate spike', 'queue backlog')];
    expect(nearDuplicateGroups(variants)).toEqual([0, 1]);
  });

  it('works on Chinese text by character bigrams', () => {
    const a = '轮换 billing-db 密码之后，两个 PgBouncer 都要执行 RELOAD，否则旧连接会在一小时后报认证失败，值班同学要在群里同步进度。';
    const texts = [
      a,
      a.replace('一小时', '1小时'),
      a.replace(/，/g, ', ').replace('。', '.'),
      '双十一当天的发布窗口提前到上午十点，晚上八点之后封网，所有变更都要走紧急审批流程。',
      '双十二当天的发布窗口提前到上午九点，晚上十点之后封网，所有变更都要先找值班经理确认。',
    ];
    expect(nearDuplicateGroups(texts)).toEqual([0, 0, 0, 3, 4]);
  });

  it('collapses short texts only when equal after normalisation', () => {
    expect(nearDuplicateGroups(['ok thanks', 'OK, thanks!', 'ok thanks a lot', 'thanks ok', '收到', '收到！', '收到了', '👍', '👍 ', '🎉', ''])).toEqual([
      0, 0, 2, 3, 4, 4, 6, 7, 7, 9, 10,
    ]);
  });

  it('points every member of a group at its lowest index, exact copies of members included', () => {
    const b = rollback.replace('spike', 'jump');
    const texts = [lunch, b, rollback, rollback, b.toLowerCase()];
    expect(nearDuplicateGroups(texts)).toEqual([0, 1, 1, 1, 1]);
  });

  it('collapses into the representative only, never along a chain', () => {
    // Each step changes two words: neighbours are near, the two ends are not.
    const words = rollback.split(' ');
    const step = (n: number): string => words.map((w, i) => (i < n * 2 ? `${w}x` : w)).join(' ');
    const groups = nearDuplicateGroups([step(0), step(1), step(2), step(3), step(4)], { threshold: 0.75 });
    expect(groups[0]).toBe(0);
    for (let i = 1; i < groups.length; i++) expect(groups[groups[i]]).toBe(groups[i]);
    expect(new Set(groups).size).toBeGreaterThan(1);
  });

  it('follows the threshold and rejects one out of range', () => {
    const texts = [rollback, rollback.replace('debug the error rate spike', 'look at the logs')];
    expect(nearDuplicateGroups(texts)).toEqual([0, 1]);
    expect(nearDuplicateGroups(texts, { threshold: 0.6 })).toEqual([0, 0]);
    expect(() => nearDuplicateGroups(texts, { threshold: 0 })).toThrow(/threshold/);
    expect(() => nearDuplicateGroups(texts, { threshold: 1.5 })).toThrow(/threshold/);
  });

  it('finds pairs just above the threshold and keeps pairs just below it, trial after trial', () => {
    let found = 0;
    let merged = 0;
    for (let t = 0; t < 500; t++) {
      const words = Array.from({ length: 40 }, (_, i) => `t${t}w${i}`);
      const above = words.map((w, i) => ([3, 10, 20].includes(i) ? `x${i}` : w)); // Jaccard 37/43 = 0.86
      const below = words.map((w, i) => (i % 8 === 0 ? `y${i}` : w)); // Jaccard 35/45 = 0.78
      const g = nearDuplicateGroups([words.join(' '), above.join(' '), below.join(' ')]);
      if (g[1] === 0) found++;
      if (g[2] === 0) merged++;
    }
    expect([found, merged]).toEqual([500, 0]);
  });

  it('gives the same answer on every run', () => {
    const r = rng(7);
    const vocab = 'deploy rollback canary billing ledger queue alert owner freeze window release hotfix review'.split(' ');
    const texts = Array.from({ length: 2000 }, () => Array.from({ length: 12 }, () => vocab[Math.floor(r() * vocab.length)]).join(' '));
    expect(nearDuplicateGroups(texts)).toEqual(nearDuplicateGroups([...texts]));
  });

  it('groups the planted repeats among 100k short messages', () => {
    const r = rng(42);
    const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
    const zh = '发布回滚账单网关值班告警数据库连接池容量评审上线窗口冻结变更审批金丝雀错误率延迟队列积压'.split('');
    const texts: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      if (i % 10 === 9) {
        texts.push(`${texts[Math.floor(r() * i)]} !`);
        continue;
      }
      const n = 8 + Math.floor(r() * 25);
      const words = Array.from({ length: n }, () => vocab[Math.floor(r() * vocab.length)]);
      if (i % 4 === 0) words.push(Array.from({ length: 20 }, () => zh[Math.floor(r() * zh.length)]).join(''));
      texts.push(`${words.join(' ')}. Sent from the billing on-call rota.`);
    }
    const groups = nearDuplicateGroups(texts);
    expect(groups.filter((g, i) => g !== i).length).toBeGreaterThanOrEqual(10_000);
  });
});
