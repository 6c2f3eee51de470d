import { redact } from '../../src/corpus/redact';
import { PLANTED } from '../helpers/planted';

describe('redact', () => {
  it('masks all 50 planted secrets and personal data, counts them per kind, and keeps the words around them', () => {
    expect(PLANTED).toHaveLength(50);
    const text = PLANTED.map((p) => p.context.replace('{}', p.value)).join('\n');
    const { text: out, counts } = redact(text);
    for (const p of PLANTED) expect(out).not.toContain(p.value);
    const expected: Record<string, number> = {};
    for (const p of PLANTED) expected[p.kind] = (expected[p.kind] ?? 0) + 1;
    expect(counts).toEqual(expected);
    for (const word of ['S3 uploader', 'Stripe live key', 'PgBouncer', '值班电话', 'rent roll', 'KYC ticket', 'sandbox only', 'Authorization:']) expect(out).toContain(word);
    expect(out).toContain('DB_PASSWORD=[redacted:password]');
  });

  it('leaves technical numbers alone', () => {
    const text = [
      'Slack ts 1762826400.000100 and ms timestamp 1718000000000',
      'version v2.14.3, release 2025-11-11 10:00, port 6432, IP 10.20.30.40',
      'commit 3f9c2a1b7e4d5f60718293a4b5c6d7e8f9012345, uuid 123e4567-e89b-12d3-a456-426614174000',
      'order 202511110001234567 for 128.50 CNY, table | 12 | 3400 | 99.95% |',
      'password: <from vault>, the password is rotated every 90 days',
    ].join('\n');
    expect(redact(text)).toEqual({ text, counts: {} });
  });

  it('keeps the subject\'s own address and masks listed third-party names', () => {
    const r = redact('Mail zhang.jianguo@yunpeng.example or ask Wang Haiyan.', { keepEmails: ['Zhang.Jianguo@yunpeng.example'], names: ['Wang Haiyan'] });
    expect(r.text).toBe('Mail zhang.jianguo@yunpeng.example or ask [redacted:person_name].');
  });

  it('is idempotent', () => {
    const once = redact(PLANTED.map((p) => p.context.replace('{}', p.value)).join('\n')).text;
    expect(redact(once)).toEqual({ text: once, counts: {} });
  });
});
