import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { redact, type RedactionKind } from '../../src/corpus/redact';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

/** One shape of secret or personal datum, in a sentence the way people write it. `{}` marks the place. */
type Shape = [kind: RedactionKind, line: string, value: string, secret?: string];

const PGP = [
  '-----BEGIN PGP PRIVATE KEY BLOCK-----',
  'Version: GnuPG v2',
  '',
  'lQOYBGVvK2kBCADQ1n9x7Lm2PqRtWzXyAbCdEfGhIjKlMnOpQrStUvWxYz0123456',
  'q9Zx2LmPqRtWzXyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefABCDEF==',
  '=x7Lm',
  '-----END PGP PRIVATE KEY BLOCK-----',
].join('\n');

const SHAPES: Shape[] = [
  // Cloud and API keys
  ['api_key', 'The export signs with {} (data platform).', 'AKIAJ7QXN3RZ5TW2KL4M'],
  ['api_key', '临时凭证 {} 十二小时后过期。', 'ASIAY34FZKBOKMUTVV7A'],
  ['api_key', 'aws_secret_access_key = {}', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm2TvQa'],
  ['api_key', 'and the secret is just {} on the next line', 'kT9vQ2+mR7tL4vK8pW1nZ6cH3jD5fG0aE2xY9uI7'],
  ['api_key', '密钥没有标签，直接贴了：{}', 'Zq8Wm3Lk9Rt2Vb7Nc4Ph/6Xy1Jf5Gs0Ya3Qm7Vt2'],
  ['api_key', 'The summariser calls the model with {}.', 'sk-proj-Qm7Vt2Lx9Pz4Rk8Wn3Bc6Hd1Jf5Gs0Ya'],
  ['api_key', '旧的 OpenAI 密钥 {} 已经吊销。', 'sk-8KdLq2WmZr5TxVb9NcPy3HsJf7Ga1Ue4'],
  ['api_key', 'Stripe production key {} leaked.', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
  ['api_key', '地图用的 key 是 {}，限制了 referer。', 'AIzaSyB-9xQ2mR7tL4vK8pW1nZ6cH3jD5fG0aE2'],
  ['api_key', 'DefaultEndpointsProtocol=https;AccountName=billing;AccountKey={};EndpointSuffix=core.windows.net', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A='],
  ['api_key', '存储连接串：AccountName=ledger;AccountKey={}', 'q9Zx2LmPqRtWzXyAbCdEfGh1234IjKlMnOpQrStUvWx=='],
  ['api_key', 'Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={}', 'V7yQ2mR9tL4vK8pW1nZ6cH3jD5fG0aE2xY9uI7oP3s='],
  // Tokens
  ['token', 'Release CI clones with {}.', 'ghp_R8mN2kL5vQ9xT3wZ7bC1dF4gH6jK0pS2uY5'],
  ['token', 'GitLab 的令牌 {} 只读。', 'glpat-x7Lm2PqRtWzXyAbCdEfG'],
  ['token', 'Alert bot token: {}', 'xoxb-5123456789012-6234567890123-Zq8Wm3Lk9Rt2Vb7Nc4Ph'],
  ['token', 'Personal token {} must not be used in scripts.', 'xoxp-4123456789-5234567890-6345678901-a1b2c3d4e5f6'],
  ['token', '个人 token 是 {}，不要放进脚本。', 'xoxp-4123456789-5234567890-6345678901-f6e5d4c3b2a1'],
  ['token', 'https://slack.com/api/auth.test?token%3D{}', 'xoxp-1234567890-0987654321-1122334455-abcdefabcdef'],
  ['token', 'The refresh token {} rotates daily.', 'xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OS0xMjM0NTY3ODkwLTEyMzQ'],
  ['token', 'Telegram alert bot: {}', '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'],
  ['token', '电报机器人 token {} 在群里。', '7012345678:AAF3kq9Zx2LmPqRtWzXyAbCdEfGhIjKlMnO'],
  ['token', 'curl -H "Authorization: {}" https://billing.internal', 'Bearer 7f3a9c2e1b8d4f6a0e5c9b3d7a1f4e2c', '7f3a9c2e1b8d4f6a0e5c9b3d7a1f4e2c'],
  ['token', 'Webhook: https://{}', 'hooks.slack.com/services/T0001/B0002/Xk3mQ9vL2pR7tW1zB5nC8dF4', 'Xk3mQ9vL2pR7tW1zB5nC8dF4'],
  ['jwt', 'Session cookie: {}', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcHMtYm90Iiwicm9sZSI6ImFkbWluIn0.Xk3mQ9vL2pR7tW1zB5nC8dF4gH0jK6sA'],
  ['jwt', '飞书回调里带的 JWT：{}', 'eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJ1aWQiOjEwMjQsImV4cCI6MTczMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU'],
  // Private keys
  ['private_key', 'Deploy key:\n{}\nRotate it.', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----'],
  ['private_key', 'Release signing key:\n{}\nKeep it offline.', PGP],
  ['private_key', '签名私钥：\n{}\n请离线保存。', PGP.replace('x7Lm', 'k2Jq').replace('Version: GnuPG v2', 'Comment: release')],
  ['private_key', 'Cut off:\n{}', PGP.split('\n').slice(0, 5).join('\n')],
  // Passwords
  ['password', 'BILLING_DB_PASSWORD={}', 'Pr0d-Billing!77'],
  ['password', '财务系统管理员密码：{}，季度轮换。', 'Gz8%kLm2qW'],
  ['password', 'For staging the password is {} until Monday.', 'Tr1cky&Pass'],
  ['password', 'VPN 的口令是 {}，别发到群里。', 'Kafka7Pass'],
  ['password', 'curl -u admin:{} https://grafana.internal/api/health', 'Gr4f@na-Adm1n'],
  ['password', '查看指标：curl -s --user ops:{} http://prom.internal/metrics', 'Pr0m#ops2025'],
  ['password', "curl -u 'deploy:{}' https://ci.internal", 'D3pl0y!key'],
  // Connection strings
  ['connection_string', 'Ledger writes go to postgres://ledger_rw:{}@ledger-db.internal:5432/ledger.', 'L3dger!Rw'],
  ['connection_string', '幂等键放在 redis://:{}@cache.internal:6379/0 里。', 'R3dis-Only-Pass'],
  ['connection_string', 'REDIS_URL=redis://:{}@10.0.0.5:6379', 'p@ss-with-at', 'ss-with-at'],
  ['connection_string', '老订单库连接串：mysql://ops:{}@10.8.0.12:3306/legacy', '0ps_Pass9'],
  // E-mail
  ['email', 'Ask Chen Jing ({}) about the report.', 'chen.jing@yunpeng.example'],
  ['email', '告警邮件抄送 {}。', 'zhao_min+alerts@ops.yunpeng.example'],
  // Phones
  ['phone', '周末值班电话 {}，半夜也能打。', '13912345678'],
  ['phone', '手机 {}，全角输入的。', '１３８１２３４５６７８'],
  ['phone', 'Her mobile is {} (dots).', '138.1234.5678'],
  ['phone', '联系人手机 {}（带空格）', '186 2345 6789'],
  ['phone', 'Backup on-call (Shanghai): {}', '+86 186-2345-6789'],
  ['phone', '银行对接人 {}', '+86.150.1234.5678'],
  ['phone', '上海办公室座机：{}', '021-63456789'],
  ['phone', '北京座机 {}，分机另说。', '010 6234 5678'],
  ['phone', '深圳座机 {}', '0755.2345.6789'],
  ['phone', 'London desk {} (GMT hours).', '+44 20 7946 0123'],
  ['phone', 'Berlin office {}', '+49.30.1234.5678'],
  ['phone', 'NY counsel: {}', '+1 (212) 555-0147'],
  ['phone', 'Call the vendor at {} if late.', '415.555.0199'],
  ['phone', '全角国际号码 {}', '＋８６ １３９ １２３４ ５６７８'],
  // Chinese ID numbers
  ['cn_id', '商户法人身份证号 {} 出现在附件里。', '310104198507123414'],
  ['cn_id', 'KYC ticket quoted ID {} in plain text.', '11010519491231002X'],
  ['cn_id', '身份证 {}（中间有空格）', '310104 19850712 3414'],
  ['cn_id', 'ID with dots: {}', '370683.1989.0111.7657'],
  ['cn_id', '全角身份证号 {}', '１１０１０５１９４９１２３１００２Ｘ'],
  // Cards
  ['bank_card', '退款打到这张卡：{}。', '6228 4800 1234 5678 903'],
  ['bank_card', 'A customer card {} leaked into a log.', '4532-0151-1283-0366'],
  // IBAN
  ['iban', 'Wire the refund to IBAN {} today.', 'GB82 WEST 1234 5698 7654 32'],
  ['iban', '欧洲供应商账户 {}，付款前核对。', 'DE89370400440532013000'],
  ['iban', 'French supplier: {}', 'FR14 2004 1010 0505 0001 3M02 606'],
  ['iban', '荷兰账户：{}', 'NL91ABNA0417164300'],
  // US SSN
  ['ssn', 'Employee SSN {} is on the W-2.', '078-05-1120'],
  ['ssn', 'social security number: {}', '219 09 9999'],
  ['ssn', '美国同事的社会安全号码：{}', '123-45-6789'],
  ['ssn', 'SSN {} (no dashes)', '219099999'],
  // Passports
  ['passport', 'Passport No. {} expires in 2031.', 'E12345678'],
  ['passport', '护照号码：{}，请勿外传。', 'G12345678'],
  ['passport', 'passport number is {}', '567890123'],
  ['passport', '出差订票用护照号 {}', 'EA1234567'],
];

/** Numbers and strings that must stay readable: masking them would ruin the corpus. */
const NEGATIVES: string[] = [
  'Released on 2025-11-18 at 16:00; the freeze started 2025/11/01.',
  '发布日期 2025年11月18日，冻结期从 2025.11.01 开始。',
  'Upgrade billing-gateway from v2.14.2 to v2.15.0 (build 20251118.3).',
  'Node 20.11.1, TypeScript 6.0.2, OpenSSL 3.0.13.',
  'PLUS costs ¥99 in the first year, then ¥199; the enterprise tier is $1,299.99/month.',
  '会员第一年 99 元，续费 199 元，企业版每月 12,800 元。',
  'Order #20251118001 had 1380 items and 12 refunds.',
  '订单号 2025111800123456 已退款。',
  'Fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b by Lao Zhang.',
  '回滚到 3f786850e387550fdab836ed7e6dc881de23001b 之后恢复正常。',
  'Slack ts 1731900000.123456 and epoch ms 1731900000123 are ids, not phones.',
  'Request id 550e8400-e29b-41d4-a716-446655440000 failed.',
  'The replica at 10.8.0.12:5432 lags 30 seconds; page at 99.9% availability.',
  'ISBN 978-3-16-148410-0 is the runbook book.',
  'Basic information about the rollout is in the wiki.',
  'The password is required for staging.',
  '密码是多少？问一下老张。',
  'token=GITHUB_TOKEN and password=${DB_PASSWORD} come from the environment.',
  'Canary goes 5%, 25%, 50%, 100%, ten minutes each.',
  'image sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'Class UserServiceImplementationTestsForBilling runs nightly.',
  'See docs/runbooks/billing-gateway/rollback-procedure.md for details.',
  'Error code 0x80070005 and HTTP 503 appear together.',
  'The batch processed 123456789 rows in 45 minutes.',
  'Port 6379 for redis, 5432 for postgres, 9092 for kafka.',
  'Meeting room 0755 on floor 12.',
  'userId=13800000000 is a service account id.',
  '{"service_id": "18686468098", "ts": "1700000000"}',
  'git@github.com:yunpeng/billing.git is the remote.',
  'Quarter figures: 2023 1120 2024 1380.',
];

describe('redact: table of shapes in both languages', () => {
  it(`covers at least 60 shapes, in English and Chinese sentences`, () => {
    expect(SHAPES.length).toBeGreaterThanOrEqual(60);
    expect(SHAPES.filter(([, line]) => /[\u4e00-\u9fff]/.test(line)).length).toBeGreaterThanOrEqual(20);
    expect(new Set(SHAPES.map(([kind]) => kind)).size).toBeGreaterThanOrEqual(12);
  });

  // Objects, not rows: a row shorter than the callback's parameters would make Jest pass `done`.
  it.each(SHAPES.map(([kind, line, value, secret]) => ({ kind, line, value, secret })))('$kind: $line', ({ kind, line, value, secret }) => {
    const text = line.replace('{}', value);
    const r = redact(text);
    const gone = (secret ?? value).normalize('NFKC');
    expect(r.text).not.toContain(secret ?? value);
    expect(r.text).not.toContain(gone);
    expect(r.text).toContain(`[redacted:${kind}]`);
    expect(r.counts[kind]).toBe(1);
    // The sentence around it stays readable.
    const [before, after] = line.split('{}');
    for (const part of [before, after].map((p) => p.trim()).filter((p) => p.length > 3 && !/[\uff10-\uff5a]/.test(p))) expect(r.text).toContain(part.slice(0, 12));
    expect(redact(r.text).text).toBe(r.text);
  });

  it.each(NEGATIVES)('leaves alone: %s', (text) => {
    expect(redact(text)).toEqual({ text, counts: {} });
  });
});

describe('redact: the shapes never reach the index or an answer', () => {
  it('ingests a note holding every shape and finds none of them in chunks, search results or answers', async () => {
    const root = tmpDir();
    const note = ['# Hand-over note', '', ...SHAPES.map(([, line, value]) => line.replace('{}', value)), ''].join('\n\n');
    makeAvatar(root, 'lz', { 'handover.md': note });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('lz');
      const indexed = [...svc.index('lz').chunkStore().iterateChunks()].map((c) => c.text).join('\n');
      const answers: string[] = [];
      for (const q of ['What is the IBAN for the refund?', '护照号码是多少？', 'What is the Telegram alert bot token?', 'curl grafana health']) {
        answers.push(JSON.stringify(await svc.ask('lz', { question: q, conversation: `c-${answers.length}`, actor: 'cli:test', viewer: LOCAL_VIEWER })));
      }
      for (const [, , value, secret] of SHAPES) {
        const gone = secret ?? value;
        expect(indexed).not.toContain(gone);
        for (const a of answers) expect(a).not.toContain(gone);
      }
      expect(indexed).toContain('[redacted:iban]');
    } finally {
      svc.close();
    }
  });
});
