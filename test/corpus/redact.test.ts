import { mergeCounts, redact, type RedactionKind } from '../../src/corpus/redact';

interface Planted {
  kind: RedactionKind;
  value: string;
  /** The line it sits in; `{}` marks the place. */
  line: string;
  /** What must vanish, when less than the whole value (URL credentials). */
  secret?: string;
}

/** 50 distinct items planted in a hand-over note the way people really write them. */
const PLANTED: Planted[] = [
  { kind: 'api_key', value: 'AKIAJ7QXN3RZ5TW2KL4M', line: 'The nightly S3 export still signs with {} (owner: data platform).' },
  { kind: 'api_key', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lm2TvQa', line: 'aws_secret_access_key = {}' },
  { kind: 'api_key', value: 'ASIAY34FZKBOKMUTVV7A', line: '临时 STS 凭证 {} 十二小时后过期。' },
  { kind: 'api_key', value: 'sk-proj-Qm7Vt2Lx9Pz4Rk8Wn3Bc6Hd1Jf5Gs0Ya', line: 'The summariser calls the model with {} from the team vault.' },
  { kind: 'api_key', value: 'sk-8KdLq2WmZr5TxVb9NcPy3HsJf7Ga1Ue4', line: '旧的 OpenAI 密钥 {} 已经吊销。' },
  { kind: 'api_key', value: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', line: 'Stripe production key {} was pasted in #payments by mistake.' },
  { kind: 'api_key', value: 'rk_live_51MzQ2eKp8LxYt3WvR7nHs0Bc', line: 'Refund worker uses restricted key {} only.' },
  { kind: 'api_key', value: 'AIzaSyB-9xQ2mR7tL4vK8pW1nZ6cH3jD5fG0aE2', line: '门店地图用的 Google key 是 {}，限制了 referer。' },
  { kind: 'token', value: 'ghp_R8mN2kL5vQ9xT3wZ7bC1dF4gH6jK0pS2uY5', line: 'Release CI clones private repos with {}.' },
  { kind: 'token', value: 'github_pat_11AZQ3XKA0bT9mW2rL7pN4_qV8sJ1cF5hG3dK6eY0uI2oP9aZ', line: 'Fine-grained PAT for the changelog bot: {}' },
  { kind: 'token', value: 'gho_k2J9sL4mQ7xW1vB8nR3tY6pC0dF5gH9zA2eU', line: 'OAuth grant {} belongs to the deploy GitHub App.' },
  { kind: 'token', value: 'xoxb-5123456789012-6234567890123-Zq8Wm3Lk9Rt2Vb7Nc4Ph', line: '告警机器人的 Slack token：{}' },
  { kind: 'token', value: 'xoxp-4123456789-5234567890-6345678901-a1b2c3d4e5f6', line: 'Personal token {} must not be used in scripts.' },
  { kind: 'token', value: 'xapp-1-A05QWERTY12-6012345678901-9f8e7d6c5b4a', line: 'Socket Mode runs with app-level token {}.' },
  { kind: 'token', value: 'Bearer 7f3a9c2e1b8d4f6a0e5c9b3d7a1f4e2c', line: 'curl -s -H "Authorization: {}" https://billing.internal/v2/invoices', secret: '7f3a9c2e1b8d4f6a0e5c9b3d7a1f4e2c' },
  { kind: 'jwt', value: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcHMtYm90Iiwicm9sZSI6ImFkbWluIn0.Xk3mQ9vL2pR7tW1zB5nC8dF4gH0jK6sA', line: 'Session cookie from the admin console: {}' },
  { kind: 'jwt', value: 'eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJ1aWQiOjEwMjQsImV4cCI6MTczMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU', line: '飞书回调里带的 JWT：{}，解出来能看到 uid。' },
  {
    kind: 'private_key',
    value: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDk3n9vQ2mR7tL4vK8pW1nZ6cH3jD5fG0aE2xY9uI7o==\n-----END OPENSSH PRIVATE KEY-----',
    line: 'Bastion deploy key (retired):\n{}\nThe new one lives in Vault.',
  },
  {
    kind: 'private_key',
    value: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oL9Ki8WCfEp8oAoGCCqGSM49\n-----END EC PRIVATE KEY-----',
    line: '银联测试证书私钥：\n{}\n生产环境不要用。',
  },
  { kind: 'password', value: 'Pr0d-Billing!77', line: 'BILLING_DB_PASSWORD={}' },
  { kind: 'password', value: 'rePl1ca#2025', line: '  password: "{}"' },
  { kind: 'password', value: 'Gz8%kLm2qW', line: '财务系统管理员密码：{}，季度轮换。' },
  { kind: 'password', value: 'cl13nt-S3cret-9x', line: "client_secret = '{}'" },
  { kind: 'password', value: 'tx4-ServiceKey-88', line: 'tax_api_key={} (sandbox)' },
  { kind: 'password', value: 'Cache!Box42', line: 'pwd={} on redis-payments' },
  { kind: 'password', value: 'Winter2026$', line: 'PASSWORD="{}"' },
  { kind: 'password', value: 'h00k-Sign-55z', line: '"webhook_secret": "{}",' },
  { kind: 'password', value: 'Kafka7Pass', line: 'VPN 的口令是 {}，别发到群里。' },
  { kind: 'password', value: 'Tr1cky&Pass', line: 'For the staging console the password is {} until Monday.' },
  { kind: 'connection_string', value: 'postgres://ledger_rw:L3dger!Rw@ledger-db.internal:5432/ledger', secret: 'L3dger!Rw', line: 'Ledger writes go to {} via PgBouncer.' },
  { kind: 'connection_string', value: 'mysql://ops:0ps_Pass9@10.8.0.12:3306/legacy_orders', secret: '0ps_Pass9', line: '老订单库连接串：{}' },
  { kind: 'connection_string', value: 'mongodb+srv://analyst:An4lyst99@cluster1.q7x2z.mongodb.net/events', secret: 'An4lyst99', line: 'Event archive: {}' },
  { kind: 'connection_string', value: 'rediss://default:Rd5ecure1@cache.internal:6380/2', secret: 'Rd5ecure1', line: '幂等键放在 {} 里。' },
  { kind: 'connection_string', value: 'amqps://mq_user:Mq-P4ss@rabbit.internal:5671/billing', secret: 'Mq-P4ss', line: 'Dead letters pile up in {}.' },
  { kind: 'email', value: 'chen.jing@yunpeng.example', line: 'Ask Chen Jing ({}) about the reconciliation report.' },
  { kind: 'email', value: 'zhao_min+alerts@ops.yunpeng.example', line: '告警邮件抄送 {}。' },
  { kind: 'email', value: 'k.tanaka@partner-pay.example.jp', line: 'Partner contact in Tokyo: {}' },
  { kind: 'email', value: 'billing-escalations@merchant.example.com', line: '商户升级邮箱 {} 每天早上看一次。' },
  { kind: 'phone', value: '13912345678', line: '周末值班电话 {}，半夜也能打。' },
  { kind: 'phone', value: '+86 186-2345-6789', line: 'Backup on-call (Shanghai): {}' },
  { kind: 'phone', value: '0086 150 1234 5678', line: '银行对接人手机 {}' },
  { kind: 'phone', value: '021-63456789', line: '上海办公室座机：{}' },
  { kind: 'phone', value: '+44 20 7946 0123', line: 'London acquiring desk {} (GMT hours).' },
  { kind: 'phone', value: '+1 (212) 555-0147', line: 'NY counsel: {}' },
  { kind: 'phone', value: '646-555-0199', line: 'Call the vendor at {} if the SFTP drop is late.' },
  { kind: 'cn_id', value: '310104198507123414', line: '商户法人身份证号 {} 出现在工单附件里。' },
  { kind: 'cn_id', value: '32050219781103457X'.slice(0, 17) + '8', line: 'KYC ticket #4411 quoted ID {} in plain text.' },
  { kind: 'bank_card', value: '6228 4800 1234 5678 903', line: '退款打到这张卡：{}。' },
  { kind: 'bank_card', value: '4532-0151-1283-0366', line: 'A customer card {} leaked into a debug log line.' },
  { kind: 'bank_card', value: '5247337890123456', line: 'Chargeback file row: card={}' },
];

const note = (items: Planted[]): string =>
  ['# Billing on-call hand-over (2025-11-18)', '', ...items.map((p) => p.line.replace('{}', p.value)), '', 'Questions to Lao Zhang before Friday.'].join('\n');

describe('redact: planted items', () => {
  const text = note(PLANTED);
  const { text: out, counts } = redact(text);

  it('plants 50 distinct items', () => {
    expect(PLANTED).toHaveLength(50);
    expect(new Set(PLANTED.map((p) => p.value)).size).toBe(50);
  });

  it('masks every one of them', () => {
    for (const p of PLANTED) {
      expect(out).not.toContain(p.value);
      expect(out).not.toContain(p.secret ?? p.value);
    }
  });

  it('counts them per kind exactly', () => {
    const expected: Partial<Record<RedactionKind, number>> = {};
    for (const p of PLANTED) expected[p.kind] = (expected[p.kind] ?? 0) + 1;
    expect(counts).toEqual(expected);
  });

  it('keeps the words around them', () => {
    for (const p of PLANTED) {
      const [before, after] = p.line.split('{}');
      expect(out).toContain(before);
      expect(out).toContain(after);
    }
    expect(out).toContain('# Billing on-call hand-over (2025-11-18)');
    expect(out).toContain('Questions to Lao Zhang before Friday.');
  });

  it('masks only the value of a config assignment and the credentials of a URL', () => {
    expect(out).toContain('BILLING_DB_PASSWORD=[redacted:password]');
    expect(out).toContain('  password: "[redacted:password]"');
    expect(out).toContain('"webhook_secret": "[redacted:password]",');
    expect(out).toContain('财务系统管理员密码：[redacted:password]，季度轮换。');
    expect(out).toContain('aws_secret_access_key = [redacted:api_key]');
    expect(out).toContain('postgres://[redacted:connection_string]@ledger-db.internal:5432/ledger');
    expect(out).toContain('Authorization: Bearer [redacted:token]"');
  });

  it('masks a PEM block whole, from BEGIN to END', () => {
    expect(out).toContain('Bastion deploy key (retired):\n[redacted:private_key]\nThe new one lives in Vault.');
    expect(out).not.toMatch(/PRIVATE KEY|b3BlbnNz|MHcCAQ/);
  });

  it('is idempotent', () => {
    expect(redact(out)).toEqual({ text: out, counts: {} });
  });

  it('finds each item on its own line too', () => {
    for (const p of PLANTED) {
      const r = redact(p.line.replace('{}', p.value));
      expect([r.counts, r.text.includes(p.secret ?? p.value)]).toEqual([{ [p.kind]: 1 }, false]);
    }
  });
});

describe('redact: secrets', () => {
  const masked = (text: string): string => redact(text).text;

  it('masks a private key whose END line was cut off, but not the prose after it', () => {
    const text = 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7s3kq9Zx2LmPqRtW\nq9Zx2LmPq==\nPlease rotate it.';
    expect(masked(text)).toBe('key:\n[redacted:private_key]\nPlease rotate it.');
  });

  it('masks URL credentials for any scheme and leaves credential-free URLs alone', () => {
    expect(masked('jdbc:postgresql://app:Secr3t@db:5432/x')).toBe('jdbc:postgresql://[redacted:connection_string]@db:5432/x');
    expect(masked('git clone https://deploy:ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/repo.git')).toBe(
      'git clone https://[redacted:connection_string]@github.com/org/repo.git',
    );
    for (const t of ['https://billing.internal:8443/v2/invoices?id=42', 'postgres://ledger-db.internal:5432/ledger', 'redis://cache:6379/0']) expect(masked(t)).toBe(t);
  });

  it('masks query-string and ADO-style passwords up to the next separator', () => {
    expect(masked('jdbc:mysql://db/x?user=app&password=S3cret9&ssl=true')).toBe('jdbc:mysql://db/x?user=app&password=[redacted:password]&ssl=true');
    expect(masked('Server=sql1;Database=ledger;User Id=app;Password=Adm1n!x;')).toBe('Server=sql1;Database=ledger;User Id=app;Password=[redacted:password];');
  });

  it('masks webhook URLs and Basic credentials but not the words', () => {
    expect(masked('POST https://hooks.slack.com/services/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')).toBe('POST https://hooks.slack.com/services/[redacted:token]');
    expect(masked('Authorization: Basic YmlsbGluZzpTM2NyZXQ=')).toBe('Authorization: Basic [redacted:token]');
    const prose = 'Basic information about Bearer authentication-middleware and bearer tokens.';
    expect(masked(prose)).toBe(prose);
  });

  it('leaves placeholders, references and prose about passwords alone', () => {
    const text = [
      'password: <from vault>',
      'DB_PASSWORD=${DB_PASSWORD}',
      'PGPASSWORD=$BILLING_DB_PASSWORD psql -h ledger-db',
      'password=os.environ["DB_PASSWORD"]',
      'conn = connect(host, password=db_password)',
      'client = Client(token=self.token)',
      'token: {{ secrets.SLACK_BOT_TOKEN }}',
      'password: ********',
      'The password is rotated every 90 days; the secret: ask in #security.',
      'Tests pass: 42 of 50. max_token=2048, bypass=cache_v2',
      '密码是多少？密码为空时会报错。',
      'PWD=/home/zhang/billing',
    ].join('\n');
    expect(masked(text)).toBe(text);
  });

  it('masks a password that merely starts with a dollar sign', () => {
    expect(masked('password=$ecret9x')).toBe('password=[redacted:password]');
  });

  it('masks a value after a YAML key even when it is a plain word', () => {
    expect(masked('redis:\n  host: cache\n  password: hunter2hunter')).toBe('redis:\n  host: cache\n  password: [redacted:password]');
  });
});

describe('redact: personal data', () => {
  it('keeps the subject\'s own address and masks others', () => {
    const r = redact('Mail Zhang.Jianguo@yunpeng.example or liu.yang@yunpeng.example', { keepEmails: ['zhang.jianguo@yunpeng.example'] });
    expect(r).toEqual({ text: 'Mail Zhang.Jianguo@yunpeng.example or [redacted:email]', counts: { email: 1 } });
  });

  it('masks listed names as whole words, Latin case-insensitively and Chinese anywhere', () => {
    const r = redact('Ask Wang Haiyan or WANG  HAIYAN; 王海燕说过；Wangs and Haiyanx stay.', { names: ['Wang Haiyan', '王海燕', 'x'] });
    expect(r).toEqual({ text: 'Ask [redacted:person_name] or [redacted:person_name]; [redacted:person_name]说过；Wangs and Haiyanx stay.', counts: { person_name: 3 } });
  });

  it('masks Chinese mobiles in their usual spellings', () => {
    for (const p of ['13812345678', '138 1234 5678', '138-1234-5678', '+8613812345678', '+86 138 1234 5678', '(+86) 13812345678', '008613812345678']) {
      expect(redact(`手机 ${p}。`).text).toBe('手机 [redacted:phone]。');
      expect(redact(`手机${p}联系`).text).toBe('手机[redacted:phone]联系');
    }
  });

  it('masks Chinese landlines and international numbers', () => {
    for (const p of ['010-62345678', '0755-86013388', '(021)63456789', '+44 20 7946 0958', '+1 (415) 555-0100', '+49 30 901820', '+4915112345678', '(415) 555-0100', '415.555.0100']) {
      expect(redact(`call ${p} today`).text).toBe('call [redacted:phone] today');
    }
  });

  it('masks ID numbers only when the checksum holds', () => {
    expect(redact('身份证 110105200002290013').text).toBe('身份证 [redacted:cn_id]');
    expect(redact('ID 11010519491231002x.').text).toBe('ID [redacted:cn_id].');
    expect(redact('身份证 110105200002290014').counts).toEqual({});
  });

  it('masks card numbers only when Luhn and the issuer prefix hold', () => {
    for (const c of ['6011000990139424', '3566 0020 2036 0505', '378282246310005', '3782 822463 10005', '30569309025904', '6217001234567890122']) {
      expect(redact(`card ${c} end`).text).toBe('card [redacted:bank_card] end');
    }
    for (const c of ['6011000990139425', '1234 5678 9012 3456', '9999999999999995', '4444444444444448'.replace(/./g, '4')]) expect(redact(`card ${c} end`).counts).toEqual({});
  });
});

describe('redact: technical text stays as it is', () => {
  it('leaves version numbers, timestamps, ids, addresses, dates and tables alone', () => {
    const text = [
      'Slack ts 1762826400.000100 (thread 1700000000.123456), ms timestamp 1718000000000 and 1731916800123',
      'billing-gateway v2.14.3 → 2.15.0-rc.1, node 20.19.4, build 13812345678.3',
      'release 2025-11-11 10:00:00 +08:00, window 2025/11/11 20:00-23:59, cron 0 3 * * 1-5',
      'port 6432, IP 10.20.30.40 and 192.168.101.254:5432, IPv6 fe80::1ff:fe23:4567:890a',
      'commit 3f9c2a1b7e4d5f60718293a4b5c6d7e8f9012345, short 13812345a, image sha256:4111111111111111aa',
      'uuid 123e4567-e89b-12d3-a456-426614174000, trace 4bf92f3577b34da6a3ce929d0e0e4736',
      'order 202511110001234567, refund RF20251111000123456, invoice INV-2025-000123, PR #13812',
      'amounts ¥1,234,567.89 and $4,111,111.11; ratio 0.13812345678; error rate 0.42%',
      '| region | orders | p99 (ms) | revenue |',
      '| --- | --- | --- | --- |',
      '| cn-east | 13812345 | 415 | 4111111111 |',
      '| us-west | 2025 | 555 | 0100 |',
      'ext. 4411, ticket 21345678901, +1 on the proposal, score +3 -2, 3 x 4 = 12',
      'The Feishu message id om_5ce6d572455d361153b7cb51da133945, Enron Message-ID <13812345678.JavaMail.evans@thyme>',
      '邮件服务 git@github.com:yunpeng/billing.git, npm @langchain/core@1.4.0',
      '"service_id": "18686468098", userId=13800000000, event_ts: 13912345678',
    ].join('\n');
    expect(redact(text)).toEqual({ text, counts: {} });
  });
});

describe('mergeCounts', () => {
  it('adds counts kind by kind without changing its inputs', () => {
    const a = { email: 2, phone: 1 };
    const b = { email: 1, token: 3 };
    expect(mergeCounts(a, b)).toEqual({ email: 3, phone: 1, token: 3 });
    expect(a).toEqual({ email: 2, phone: 1 });
  });
});
