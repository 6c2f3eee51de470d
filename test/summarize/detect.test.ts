import { detectAction, detectDecision, detectDue, detectQuestion } from '../../src/summarize/detect';

describe('decision rules', () => {
  it.each([
    'We decided to move the release to Thursday.',
    "Let's go with Postgres for the ledger.",
    'OK, we agreed: the canary stays at 5% for a day.',
    'Decision: drop Python 2 support in 3.0.',
    "We'll go with the hosted runner for now.",
    '那就这么定了，周四发版。',
    '最后决定用 Redis 做缓存。',
    '就这么定：下周一切换到新集群。',
    '结论：先回滚，再排查。',
  ])('finds a decision in "%s"', (text) => {
    expect(detectDecision(text)?.what).toBeTruthy();
  });

  it.each([
    'Should we decide on the database today?',
    "We haven't decided yet who owns the migration.",
    '这个方案还没定，大家再想想。',
    '我们决定了吗？',
    'The weather is nice.',
  ])('finds none in "%s"', (text) => {
    expect(detectDecision(text)).toBeUndefined();
  });

  it('quotes the sentence that decides, without its URLs', () => {
    const d = detectDecision('Thanks all. We decided to ship docs (https://example.com/docs) first. More later.');
    expect(d?.what).toBe('We decided to ship docs first.');
  });
});

describe('action item rules', () => {
  it('makes the sender the owner of a first-person promise, with the due date as written', () => {
    expect(detectAction("I'll update the runbook by Friday.", 'Alice')).toEqual({ owner: 'Alice', task: "I'll update the runbook by Friday.", due: 'Friday' });
  });

  it('makes the mentioned person the owner when asked', () => {
    const a = detectAction('@Bob Li can you rotate the staging keys before 2024-06-01?', 'Alice', ['Bob Li']);
    expect(a).toMatchObject({ owner: 'Bob Li', due: '2024-06-01' });
  });

  it('keeps a TODO without an owner as unassigned', () => {
    expect(detectAction('TODO: add a test for the 429 path', 'Carol')).toMatchObject({ owner: undefined, task: 'TODO: add a test for the 429 path' });
  });

  it.each([
    ['我来改这个配置，周五前搞定。', '张三', '张三', '周五'],
    ['这个接口由王五负责，截止 6月30日。', '张三', '王五', '6月30日'],
    ['@李四 跟进一下客户反馈', '张三', '李四', undefined],
    ['待办：补上回滚脚本', '张三', undefined, undefined],
  ])('finds the Chinese task in "%s"', (text, sender, owner, due) => {
    const mentions = text.includes('@李四') ? ['李四'] : [];
    const a = detectAction(text, sender, mentions);
    expect(a).toBeDefined();
    expect(a?.owner).toBe(owner);
    expect(a?.due).toBe(due);
  });

  it.each(["I'll be honest, it looks fine.", 'See you at the meetup!', "I'll see you there."])('finds no task in "%s"', (text) => {
    expect(detectAction(text, 'Alice')).toBeUndefined();
  });

  it('reads due dates in both languages', () => {
    expect(detectDue('send it by end of week')).toBe('end of week');
    expect(detectDue('please finish before Jan 15th')).toBe('Jan 15th');
    expect(detectDue('下周三之前给我')).toBe('下周三');
    expect(detectDue('截止日期：2024-07-01')).toBe('2024-07-01');
  });
});

describe('question rules', () => {
  it('finds questions with and without a question mark', () => {
    expect(detectQuestion('Does anyone know how to build R on Windows with Rtools')).toBeTruthy();
    expect(detectQuestion('Where is the staging dashboard?')).toBe('Where is the staging dashboard?');
    expect(detectQuestion('这个告警是谁负责的？')).toBe('这个告警是谁负责的？');
    expect(detectQuestion('明天的发布还按计划进行吗')).toBeTruthy();
  });

  it('ignores a question mark inside a URL and one-word interjections', () => {
    expect(detectQuestion('Files are here https://example.com/s/abc?dl=0 for everyone.')).toBeUndefined();
    expect(detectQuestion('really?')).toBeUndefined();
  });
});
