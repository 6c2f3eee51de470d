import fs from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../src/corpus/load';
import { runCli } from '../helpers/cli';
import { tmpDir, write } from '../helpers/fixtures';
import { shownText, startSlack, type SlackHarness, slashCommand } from '../helpers/slack-harness';
import { seedWangFang } from './wang-fang';

function filesUnder(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile()) : [];
}

describe('collected corpus copies on disk', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('writes the collected corpus copies already masked', async () => {
    h = await startSlack();
    seedWangFang(h);
    await h.send(slashCommand('distill', 'me', { user: 'U_SUBJ' }), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/The avatar @wang-fang-avatar is ready/);
    const corpus = filesUnder(path.join(h.root, 'avatars/wang-fang/corpus'));
    expect(corpus.length).toBeGreaterThan(0);
    const bytes = corpus.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(bytes).toMatch(/pagerctl page payments-primary/);
    expect(bytes).not.toContain('Ledg3r!Adm1n-2025');
    expect(bytes).not.toContain('13912345678');
    expect(bytes).toMatch(/\[redacted:password\]/);
  }, 30_000);


  it('masks prose files copied in by `understudy avatar create --from`, keeping the subject\'s own address', async () => {
    const cwd = tmpDir('create-');
    write(cwd, 'src/handover.md', '# Hand-over\n\nMail me at lao.zhang@yunpeng.example or chen.jing@yunpeng.example.\nBILLING_DB_PASSWORD=Pr0d-Billing!77\n值班电话 13912345678。\n');
    write(cwd, 'src/notes.txt', 'IBAN GB82 WEST 1234 5698 7654 32 for the refund.\n');
    const res = await runCli(['avatar', 'create', 'lz', '--name', 'Lao Zhang', '--author', 'lao.zhang@yunpeng.example', '--from', 'src'], { cwd, env: { UNDERSTUDY_AVATARS_DIR: `${cwd}/avatars`, UNDERSTUDY_DATA_DIR: `${cwd}/data` } });
    expect(res.code).toBe(0);
    const corpus = filesUnder(path.join(cwd, 'avatars/lz/corpus'));
    const bytes = corpus.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(bytes).toContain('# Hand-over');
    expect(bytes).toContain('lao.zhang@yunpeng.example');
    expect(bytes).not.toMatch(/chen\.jing@|Pr0d-Billing|13912345678|GB82 WEST/);
  });

  it('masks copied e-mail, mbox and chat-export JSON so that they still load, cited as before', async () => {
    const cwd = tmpDir('create-mail-');
    const mail = (id: string, to: string, body: string): string =>
      `Message-ID: <${id}@mail.yunpeng.example>\nDate: Mon, 2 Mar 2026 09:00:00 +0800\nFrom: lao.zhang@yunpeng.example\nTo: ${to}\nSubject: db creds\n\n${body}\n`;
    write(cwd, 'src/maildir/cur/1.', mail('m1', 'chen.jing@yunpeng.example', 'The billing DB is postgres://billing:S3cr3t-Pw@db.internal:5432/billing; call me on 13912345678.'));
    write(cwd, 'src/archive.mbox', `From lao.zhang@yunpeng.example Mon Mar  2 09:00:00 2026\n${mail('m2', 'wu.lei@yunpeng.example', 'Card 4111 1111 1111 1111 was refunded.')}\n`);
    write(cwd, 'src/slack/users.json', JSON.stringify([{ id: 'U_LZ', name: 'lao.zhang', real_name: 'Lao Zhang', profile: { email: 'lao.zhang@yunpeng.example' } }, { id: 'U_CJ', name: 'chen.jing', profile: { email: 'chen.jing@yunpeng.example', phone: '13812345678' } }]));
    write(cwd, 'src/slack/channels.json', JSON.stringify([{ id: 'C1', name: 'payments', members: ['U_LZ', 'U_CJ'] }]));
    write(cwd, 'src/slack/payments/2026-03-02.json', JSON.stringify([{ type: 'message', user: 'U_LZ', text: 'token xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx is rotated; ping 13812345678', ts: '1772413200.000100' }]));
    const res = await runCli(['avatar', 'create', 'lz', '--name', 'Lao Zhang', '--author', 'lao.zhang@yunpeng.example,U_LZ', '--from', 'src'], { cwd, env: { UNDERSTUDY_AVATARS_DIR: `${cwd}/avatars`, UNDERSTUDY_DATA_DIR: `${cwd}/data` } });
    expect(res.code).toBe(0);
    const dir = path.join(cwd, 'avatars/lz/corpus');
    const bytes = filesUnder(dir).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(bytes).not.toMatch(/S3cr3t-Pw|13912345678|13812345678|4111 1111|chen\.jing@|wu\.lei@|xoxb-1234/);
    expect(bytes).toContain('Message-ID: <m1@mail.yunpeng.example>');
    expect(bytes).toContain('From: lao.zhang@yunpeng.example');
    const loaded = await loadCorpus(dir, { author: ['lao.zhang@yunpeng.example', 'U_LZ'] });
    const locators = loaded.units.map((u) => u.locator);
    expect(locators).toEqual(expect.arrayContaining(['<m1@mail.yunpeng.example>', '<m2@mail.yunpeng.example>']));
    expect(loaded.units.some((u) => u.source.includes('payments') && /is rotated/.test(u.text))).toBe(true);
  });
});
