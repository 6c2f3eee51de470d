import { nearDuplicateGroups } from '../../src/corpus/dedupe';

const base = 'Please roll back billing-gateway to v2.14.2 with deployctl rollback before you debug the error rate spike, then tell the on-call channel what you saw.';

describe('nearDuplicateGroups', () => {
  it('collapses near-identical texts into the first one', () => {
    const texts = [base, base.replace('Please', 'please').replace('channel', 'channel!!'), base.replace('spike', 'jump'), 'Lunch is at noon on Friday in the usual noodle place near the office, everyone is welcome.'];
    expect(nearDuplicateGroups(texts)).toEqual([0, 0, 0, 3]);
  });

  it('keeps texts that only share boilerplate', () => {
    const sig = 'Thanks, Phillip Allen, Enron North America, gas trading desk, Houston.';
    const texts = [`The Topock basis is widening again this week. ${sig}`, `Please send the San Marcos rent roll and the loan numbers. ${sig}`];
    expect(nearDuplicateGroups(texts)).toEqual([0, 1]);
  });

  it('works on Chinese text', () => {
    const a = '轮换 billing-db 密码之后，两个 PgBouncer 都要执行 RELOAD，否则旧连接会在一小时后报认证失败。';
    expect(nearDuplicateGroups([a, `${a}`.replace('一小时', '1小时'), '双十一当天的发布窗口提前到上午十点，晚上八点之后封网。'])).toEqual([0, 0, 2]);
  });

  it('collapses short texts only when equal', () => {
    expect(nearDuplicateGroups(['ok thanks', 'OK, thanks!', 'ok thanks a lot'])).toEqual([0, 0, 2]);
  });

  it('scales roughly linearly', () => {
    const texts = Array.from({ length: 10_000 }, (_, i) => `message ${i} about deploy number ${i * 7} and canary ${i % 13} with owner ${i % 101} on day ${i % 31}`);
    const t = Date.now();
    nearDuplicateGroups(texts);
    expect(Date.now() - t).toBeLessThan(20_000);
  });
});
