import { quantitiesAsked, questionParts, sentencesOf, slotEvidence, slotOf } from '../../src/retrieval/answer-type';
import { relevanceOf, slotMiss } from '../../src/retrieval/abstention';
import { indexTokens } from '../../src/retrieval/tokenize';
import { MAX_QUESTION_CHARS } from '../../src/text/limits';
import { signalsWith } from '../helpers/abstention-signals';

const TOPIC = 'Kafka topics: billing.settlement has 24 partitions and keeps messages for 7 days. The callback topic is consumed by callback-worker.';
const TOPIC_NO_COUNT = 'Kafka topics: billing.settlement is partitioned by merchant id.\nThe callback topic is consumed by callback-worker.';
const HOUSE = 'Phillip bought the house on Stagecoach Road in 2001. He paid $245,000 and put 20% down.';
const HOUSE_NO_PRICE = 'Phillip bought the house on Stagecoach Road. The inspection found rot under the deck.';
const ZH_RETRY = '合作方 webhook 投递失败后会重试 5 次，间隔依次翻倍。';
const ZH_RETRY_VAGUE = '合作方 webhook 投递失败后会重试，间隔依次翻倍。';
const ZH_CERT = '这次新证书有效期一年，到 2026-09-30。续期费用 3,000 元，由财务付款。';

describe('quantitiesAsked: what the lead of an answer looks for', () => {
  it('takes slotOf\'s slot, part by part', () => {
    expect(quantitiesAsked('How many Kafka partitions does the topic have, and who owns it?')).toEqual([slotOf('How many Kafka partitions does the topic have')]);
  });

  it('also takes a measure asked without its unit, which slotOf leaves out: any number, or money for a size of money', () => {
    expect(slotOf('Roughly how long before a fresh build is serving all shoppers?')).toBeUndefined();
    expect(quantitiesAsked('Roughly how long before a fresh build is serving all shoppers?')).toEqual([{ terms: [], money: false }]);
    expect(quantitiesAsked('How big was the difference in payout between the two readings?')).toEqual([{ terms: [], money: true }]);
    expect(quantitiesAsked('How big should an atomic network be?')).toEqual([{ terms: [], money: false }]);
    expect(quantitiesAsked('口令多久要更换一回？')).toEqual([{ terms: [], money: false }]);
  });

  it('finds none in questions that ask no quantity', () => {
    expect(quantitiesAsked('How do I roll back a bad release?')).toEqual([]);
    expect(quantitiesAsked('618 的封网时间是哪几天？')).toEqual([]);
    expect(quantitiesAsked('为什么几乎所有发布都在周四？')).toEqual([]);
  });
});

describe('slotOf: the quantity a question asks for', () => {
  it('takes the words after "how many/much" up to the verb, and money when none come first', () => {
    expect(slotOf('How many Kafka partitions does the billing.settlement topic have?')).toEqual({ terms: [...indexTokens('Kafka'), ...indexTokens('partitions')], money: false });
    expect(slotOf('How many people attended the R Dev Day?')?.terms).toEqual(indexTokens('people'));
    expect(slotOf('How much did Phillip pay for his house in Houston?')).toEqual({ terms: [], money: true });
    expect(slotOf('How much money did the west desk make in 2000?')?.money).toBe(true);
  });

  it('takes the quantity noun of a "what ... rate/budget" question; a budget or price is money', () => {
    expect(slotOf('What heat rate did the west desk assume?')).toEqual({ terms: indexTokens('rate'), money: false });
    expect(slotOf('What is the budget for the 2026 Double 11 campaign?')).toEqual({ terms: indexTokens('budget'), money: true });
    // Either quantity will do, and a rate need not be money.
    expect(slotOf('What asking price and cap rate did Phillip work out?')).toEqual({ terms: ['price', 'rate'], money: false });
  });

  it('reads Chinese: the word before 多少/几 (past fillers such as 分别), or money for 多少钱', () => {
    expect(slotOf('支付宝和微信支付的商户费率分别是多少？')?.terms).toEqual(['\u00a7费率']);
    expect(slotOf('billing-gateway 的单元测试覆盖率要求是多少？')?.terms).toEqual(['\u00a7覆盖率']);
    expect(slotOf('UNIONPAY 客户端证书续期一次要花多少钱？')).toEqual({ terms: [], money: true });
    expect(slotOf('发票合并需求现在有多少客服工单？')?.terms).toContain('\u00a7客服');
  });

  it('reads 哪几 (which ones), 第几 (which place) and 几乎 (almost) as no quantity', () => {
    expect(slotOf('618 的封网时间是哪几天？')).toBeUndefined();
    expect(slotOf('为什么几乎所有发布都在周四？')).toBeUndefined();
    expect(slotOf('GPT-4 在大模型排行榜上排第几？')).toBeUndefined();
  });

  it('finds no slot in yes/no, open or procedural questions', () => {
    expect(slotOf('Did R Core accept adding a physical constant to base R?')).toBeUndefined();
    expect(slotOf('What did Paul Graham say about remote work?')).toBeUndefined();
    expect(slotOf('怎么回滚一个有问题的发布？')).toBeUndefined();
    expect(slotOf('阮一峰对 GPT-5 有什么评价？')).toBeUndefined();
  });

  it('reads the longest question a person may send in linear time, whatever its characters', () => {
    // A message of 是 (one of the words between the measured thing and 多少) made the question's
    // regex backtrack in cubic time: 20 s of a blocked event loop at 4,000 characters.
    const started = Date.now();
    expect(slotOf('是'.repeat(MAX_QUESTION_CHARS))).toBeUndefined();
    expect(slotOf(`${'是'.repeat(MAX_QUESTION_CHARS - 3)}多少钱`)).toEqual({ terms: [], money: true });
    expect(slotMiss('是'.repeat(MAX_QUESTION_CHARS), [ZH_CERT])).toBe(0);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('slotEvidence: the measured thing and a number in one sentence of the passage', () => {
  it('is 1 when a sentence holds both (English)', () => {
    expect(slotEvidence(slotOf('How many partitions does billing.settlement have?')!, [TOPIC])).toBe(1);
    expect(slotEvidence(slotOf('How much did Phillip pay for the house?')!, [HOUSE])).toBe(1);
  });

  it('takes what people pay for what a question says it costs (money asked by its noun)', () => {
    // test/mcp/http.test.ts: lin-xiaoyu declined 'What does PLUS membership cost?' once the refit on seven sets moved the decline point.
    const plus = '### 2026-01-08 — PLUS membership: first year ¥168 (regular ¥198)\n- **Decision**: new PLUS members pay ¥168 for the first year until 2026-03-31; renewals at ¥198.';
    expect(slotEvidence(slotOf('What does PLUS membership cost?')!, [plus])).toBe(1);
    expect(slotMiss('What does PLUS membership cost?', [plus])).toBe(0);
    // Money with no word of paying or of the measured thing is still no evidence.
    expect(slotEvidence(slotOf('What does PLUS membership cost?')!, ['Revenue grew to $4 million in Q2.'])).toBe(0);
  });

  it('is 0.5 when the thing is there without a number, and 0 when no sentence names it (English)', () => {
    expect(slotEvidence(slotOf('How many partitions does billing.settlement have?')!, [TOPIC_NO_COUNT])).toBe(0.5);
    expect(slotEvidence(slotOf('How much memory does the redis-payments cluster have?')!, [TOPIC])).toBe(0);
    // A year is a number but not money: the price question finds no price.
    expect(slotEvidence(slotOf('How much did Phillip pay for the house?')!, ['Phillip bought the house in 2001.', HOUSE_NO_PRICE])).toBe(0.5);
  });

  it('reads Chinese passages the same way', () => {
    expect(slotEvidence(slotOf('webhook 投递失败后会重试几次？')!, [ZH_RETRY])).toBe(1);
    expect(slotEvidence(slotOf('webhook 投递失败后会重试几次？')!, [ZH_RETRY_VAGUE])).toBe(0.5);
    expect(slotEvidence(slotOf('UNIONPAY 证书续期要花多少钱？')!, [ZH_CERT])).toBe(1);
    expect(slotEvidence(slotOf('商户费率是多少？')!, [ZH_CERT])).toBe(0);
  });

  it('needs the thing and the number in the same sentence, not anywhere in the chunk', () => {
    const split = 'billing.settlement is partitioned by merchant id. Retention is 7 days.';
    expect(slotEvidence(slotOf('How many partitions does billing.settlement have?')!, [split])).toBe(0.5);
  });
});

describe('slotMiss: the signal the abstention model weighs', () => {
  it('reads only the best hit, and is 0 for a question that asks no quantity', () => {
    const q = 'How many partitions does the billing.settlement topic have?';
    expect(slotMiss(q, [TOPIC])).toBe(0);
    expect(slotMiss(q, [TOPIC_NO_COUNT, TOPIC])).toBe(0.5);
    expect(slotMiss(q, ['The callback topic is consumed by callback-worker.', TOPIC])).toBe(1);
    expect(slotMiss('How do we roll back billing-gateway?', ['nothing here'])).toBe(0);
    expect(slotMiss(q, [])).toBe(1);
    // No parts at all: 0, not Math.min() of nothing (Infinity), which would poison the fit's data.
    expect(slotMiss('?', [TOPIC])).toBe(0);
    expect(slotMiss('', [])).toBe(0);
  });

  it('lowers the relevance of a quantity question whose best hit lacks the quantity', () => {
    expect(relevanceOf(signalsWith({ slotMiss: 1 }))).toBeLessThan(relevanceOf(signalsWith({ slotMiss: 0.5 })));
    expect(relevanceOf(signalsWith({ slotMiss: 0.5 }))).toBeLessThan(relevanceOf(signalsWith({ slotMiss: 0 })));
  });
});

describe('questionParts: a compound question asks a quantity only if every part does', () => {
  it('splits at question marks and at ", and why/how ..." in both languages', () => {
    expect(questionParts('How much bandwidth does Netflix 4K need, and why might 6G be unnecessary?')).toEqual(['How much bandwidth does Netflix 4K need', 'why might 6G be unnecessary']);
    expect(questionParts('GPT-4 排第几？DeepSeek V3 的训练成本是多少？')).toEqual(['GPT-4 排第几', 'DeepSeek V3 的训练成本是多少']);
    expect(questionParts('How many Kafka partitions does billing.settlement have?')).toHaveLength(1);
  });

  it('gives no slotMiss when a part asks no quantity (the best hit may answer that part)', () => {
    const q = 'How much memory does redis-payments have, and why was it resized?';
    expect(slotMiss(q, [TOPIC])).toBe(0);
    expect(slotMiss('How much memory does redis-payments have?', [TOPIC])).toBe(1);
  });
});

describe('sentencesOf', () => {
  it('splits at sentence ends, Chinese ones too, and at line breaks, keeping dotted names whole', () => {
    expect(sentencesOf('Use billing.settlement. It has 24 partitions!\n`deployctl abort`')).toEqual(['Use billing.settlement.', 'It has 24 partitions!', '`deployctl abort`']);
    expect(sentencesOf('证书到期了。续期费用 3,000 元；财务付款')).toEqual(['证书到期了。', '续期费用 3,000 元；', '财务付款']);
  });
});
