import { countCjk, hasCjk, isCjkToken } from '../../src/text/cjk';
import { fnv1a, fnv1aWords } from '../../src/text/hash';
import { detectLang, personLang, scriptMix } from '../../src/text/lang';
import { splitChatSentences, splitSentences } from '../../src/text/sentences';
import { CHAT_FILLER, EN_STOPWORDS, TERM_STOPWORDS } from '../../src/text/stopwords';

describe('language', () => {
  it('calls a text Chinese when Han characters make up a real share of it', () => {
    expect(detectLang('怎么回滚 billing-gateway？')).toBe('zh');
    expect(detectLang('How do I roll back billing-gateway? 谢谢')).toBe('en');
  });

  it('falls back to the given language when a text has no letters', () => {
    expect(detectLang('???', 'zh')).toBe('zh');
    expect(detectLang('👍')).toBe('en');
  });

  it("talks to a person in their client's Chinese locale, else in their message's language", () => {
    expect(personLang('How do I roll back?', 'zh-CN')).toBe('zh');
    expect(personLang('怎么回滚？', 'en-US')).toBe('zh');
    expect(personLang('???')).toBe('en');
  });

  it('describes how a text mixes scripts', () => {
    expect(scriptMix('我们下周一发布新版本')).toBe('zh');
    expect(scriptMix('We ship the new release on Monday')).toBe('en');
    expect(scriptMix('我们 ship the release 下周一')).toBe('mixed');
    expect(scriptMix('42')).toBe('other');
  });
});

describe('CJK tests', () => {
  it('finds and counts Han characters, including Extension A and compatibility ideographs', () => {
    expect(hasCjk('deploy 部署')).toBe(true);
    expect(hasCjk('deploy')).toBe(false);
    expect(countCjk('部署 v2 了\u3400\uf900')).toBe(5);
    expect(isCjkToken('部署')).toBe(true);
    expect(isCjkToken('deploy')).toBe(false);
    expect(isCjkToken('')).toBe(false);
  });
});

describe('hashing', () => {
  // Stored indexes (local embedder features) and near-duplicate decisions depend on these values.
  it('keeps the FNV-1a values stored indexes were built with', () => {
    expect(fnv1a('w:deploy')).toBe(4247170262);
    expect(fnv1a('回滚')).toBe(1977789630);
    expect(fnv1a('')).toBe(2872998923);
    expect(fnv1a('x', 7)).toBe(1986517406);
  });

  it('hashes a run of 32-bit words the same way whatever surrounds it', () => {
    const words = Uint32Array.from([1, 2, 3, 4, 5, 6]);
    expect(fnv1aWords(words, 2, 4, 1)).toBe(fnv1aWords(Uint32Array.from([3, 4]), 0, 2, 1));
    expect(fnv1aWords(words, 2, 4, 1)).not.toBe(fnv1aWords(words, 2, 4, 2));
  });
});

describe('stop words', () => {
  it('keeps every retrieval stop word out of key terms too, and chat filler apart from both', () => {
    for (const w of EN_STOPWORDS) expect(TERM_STOPWORDS.has(w)).toBe(true);
    expect(TERM_STOPWORDS.has('yesterday')).toBe(true);
    expect(EN_STOPWORDS.has('yesterday')).toBe(false);
    expect(CHAT_FILLER.has('lol')).toBe(true);
    expect(TERM_STOPWORDS.has('lol')).toBe(false);
  });
});

describe('sentences', () => {
  it('splits English and Chinese prose but keeps list items and short lines whole', () => {
    const long = 'We roll back with the deploy tool first. Then we check the dashboards for errors in billing-gateway v1.2 again.';
    expect(splitSentences(`- step one. Step two\n${long}\n先回滚。再检查监控面板上的错误率，确认 billing-gateway 恢复正常之后再通知大家，这一步不能省略，否则值班同学会重复处理同一个告警，浪费很多时间。`)).toEqual([
      '- step one. Step two',
      'We roll back with the deploy tool first.',
      'Then we check the dashboards for errors in billing-gateway v1.2 again.',
      '先回滚。',
      '再检查监控面板上的错误率，确认 billing-gateway 恢复正常之后再通知大家，这一步不能省略，否则值班同学会重复处理同一个告警，浪费很多时间。',
    ]);
  });

  it('cuts short chat lines at their sentence ends too', () => {
    expect(splitSentences('Ship it Friday. @Alice owns it')).toEqual(['Ship it Friday. @Alice owns it']);
    expect(splitChatSentences('Ship it Friday. @Alice owns it\n好的。周五发布')).toEqual(['Ship it Friday.', '@Alice owns it', '好的。', '周五发布']);
  });
});
