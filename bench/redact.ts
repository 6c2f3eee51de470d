import { redact } from '../src/corpus/redact';
import type { Row } from './util';

/**
 * Redaction cost per chunk, as ingest pays it: a chunk with planted secrets and a bilingual plain
 * one. Median of 7 rounds of 4,000 calls each (the machine is shared; the median is the figure).
 */
export async function benchRedact(): Promise<Row[]> {
  const planted = [
    'BILLING_DB_PASSWORD=Pr0d-Billing!77',
    'call 13912345678 or +1 (415) 555-0132',
    'xoxb-5123456789012-6234567890123-Zq8Wm3Lk9Rt2Vb7Nc4Ph',
    'postgres://billing:S3cr3t-Pw@db.internal:5432/billing',
    'IBAN GB82 WEST 1234 5698 7654 32',
    'chen.jing@yunpeng.example',
  ].join('\n');
  const chunks: Record<string, string> = {
    'planted secrets': `${planted}\n${'Deploy billing-gateway v2.14.3 at 10:00 after checking the canary error rate. '.repeat(6)}`.slice(0, 600),
    'plain zh/en': '发布前先确认金丝雀错误率低于 0.5%，再在 #billing-ops 里同步。Rollback with deployctl rollback billing-gateway --to v2.14.2 if p99 > 800 ms. '.repeat(6).slice(0, 600),
  };
  const rows: Row[] = [];
  for (const [name, text] of Object.entries(chunks)) {
    for (let i = 0; i < 300; i++) redact(text);
    const rounds: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 4000; i++) redact(text);
      rounds.push(Number(process.hrtime.bigint() - t) / 1e6 / 4000);
    }
    rounds.sort((a, b) => a - b);
    rows.push({ chunk: name, chars: text.length, 'ms per chunk (median)': rounds[3].toFixed(4), 'chunks/s': Math.round(1000 / rounds[3]) });
  }
  return rows;
}
