import fs from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../../src/corpus/load';
import { personName, splitMbox } from '../../../src/corpus/loaders/email';
import { corpus, describeCorpora } from '../../helpers/corpora';
import { tmpDir, write } from '../../helpers/fixtures';

const EML = `Message-ID: <abc@yunpeng.example>
Date: Tue, 11 Nov 2025 09:30:00 +0800
From: Zhang Jianguo <zhang.jianguo@yunpeng.example>
To: Liu Yang <liu.yang@yunpeng.example>
Subject: Re: pool size

Let's keep MaxOpenConns at 40 per pod until the load test is done.

On Mon, 10 Nov 2025 at 18:00, Liu Yang wrote:
> Can we raise the pool to 80?
> It would help the peak.

-- 
Zhang Jianguo | Payments Platform
`;

const mail = (from: string, id: string | undefined, body: string): string =>
  `${id ? `Message-ID: <${id}>\n` : ''}Date: Tue, 11 Nov 2025 10:00:00 +0800\nFrom: ${from}\nSubject: s\n\n${body}\n`;

describe('e-mail loader', () => {
  it('makes one unit of the sender\'s own words with subject, ISO date, author, Message-ID and the quoted message as context', async () => {
    const root = tmpDir();
    write(root, 'mail/pool.eml', EML);
    const r = await loadCorpus(root);
    expect(r.errors).toEqual([]);
    expect(r.units).toEqual([
      {
        source: 'mail/pool.eml',
        kind: 'email',
        text: "Let's keep MaxOpenConns at 40 per pod until the load test is done.",
        locator: '<abc@yunpeng.example>',
        title: 'Re: pool size',
        author: 'Zhang Jianguo <zhang.jianguo@yunpeng.example>',
        date: '2025-11-11T01:30:00.000Z',
        context: 'On Mon, 10 Nov 2025 at 18:00, Liu Yang wrote:\nCan we raise the pool to 80?\nIt would help the peak.',
      },
    ]);
  });

  it('recognises mail by its headers: a maildir file without extension, a file in cur/, a .txt', async () => {
    const root = tmpDir();
    write(root, 'maildir/inbox/cur/1700000000.M1P2.host:2,S', EML);
    write(root, 'maildir/sent/17.', mail('a@x.example', 'm17@x', 'From the maildir.'));
    write(root, 'notes/forwarded.txt', EML.replace('<abc@', '<txt@'));
    const r = await loadCorpus(root);
    expect(r.units.map((u) => [u.source, u.kind, u.locator])).toEqual([
      ['maildir/inbox/cur/1700000000.M1P2.host:2,S', 'email', '<abc@yunpeng.example>'],
      ['maildir/sent/17.', 'email', '<m17@x>'],
      ['notes/forwarded.txt', 'email', '<txt@yunpeng.example>'],
    ]);
  });

  it('leaves a text file whose first lines only look like "Key: value" pairs as text', async () => {
    const root = tmpDir();
    write(root, 'meeting.txt', 'Date: 2025-11-11\nTopic: pool size\n\nWe agreed on 40.');
    expect((await loadCorpus(root)).units.map((u) => u.kind)).toEqual(['text']);
  });

  it('splits an mbox, unescapes >From, falls back to mbox#<n> locators and filters by author', async () => {
    const root = tmpDir();
    const one = mail('Zhang Jianguo <zhang.jianguo@yunpeng.example>', 'one@x', 'First.\n>From the ops side, fine.');
    const two = mail('Liu Yang <liu.yang@yunpeng.example>', undefined, 'Second.');
    write(root, 'archive.mbox', `From zhang Tue Nov 11 09:30:00 2025\n${one}\nFrom liu Tue Nov 11 10:00:00 2025\n${two}`);
    const all = await loadCorpus(root);
    expect(all.units.map((u) => [u.locator, u.text])).toEqual([
      ['<one@x>', 'First.\nFrom the ops side, fine.'],
      ['mbox#2', 'Second.'],
    ]);
    const only = await loadCorpus(root, { author: 'ZHANG.JIANGUO@yunpeng.example' });
    expect(only.units.map((u) => u.locator)).toEqual(['<one@x>']);
  });

  it('keeps a body line starting with "From " inside its message', () => {
    const text = `From a Mon\n${mail('a@x', 'a@x', 'line one\nFrom what I saw, fine.')}\nFrom b Tue\n${mail('b@x', 'b@x', 'other')}`;
    const parts = splitMbox(text);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toContain('From what I saw, fine.');
  });

  it('keeps an unescaped "From " paragraph after a blank line inside its message, and splits on dated separators', () => {
    const one = mail('a@x', 'a@x', 'Status below.\n\nFrom what I saw, the canary is fine.\n\nFrom now on we deploy at 10.');
    const two = mail('b@x', 'b@x', 'other');
    const parts = splitMbox(`From a@x Tue Nov 11 09:30:00 2025\n${one}\nFrom b@x Tue Nov 11 10:00:00 2025\n${two}`);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toContain('From what I saw, the canary is fine.\n\nFrom now on we deploy at 10.');
    expect(parts[1]).toMatch(/^Message-ID: <b@x>/);
  });

  it('reports a bare forward as skipped, naming the message', async () => {
    const root = tmpDir();
    write(root, 'fw.eml', mail('a@x', 'fw@x', '\n -----Original Message-----\nFrom: B\nSent: Monday\nSubject: report\n\nthe report'));
    const r = await loadCorpus(root);
    expect(r.units).toEqual([]);
    expect(r.skipped).toEqual([{ path: 'fw.eml', reason: "forward or quote only: no text of the sender's own" }]);
  });

  it('reads "Last, First" names from From or X-From', () => {
    expect(personName('Allen, Phillip K. </O=ENRON/OU=NA/CN=RECIPIENTS/CN=PALLEN>')).toBe('Phillip K. Allen');
    expect(personName('"Zhang Jianguo"')).toBe('Zhang Jianguo');
    expect(personName('Phillip K Allen')).toBe('Phillip K Allen');
  });
});

describeCorpora("Phillip Allen's real sent mail (Enron)", () => {
  const dir = corpus('enron_maildir_sent/maildir/allen-p/sent_items');
  let result: Awaited<ReturnType<typeof loadCorpus>>;
  beforeAll(async () => {
    result = await loadCorpus(dir);
  });

  it('loads every one of the 345 files: a unit per message with words of his own, the bare forwards skipped', () => {
    expect(result.entries).toHaveLength(345);
    expect(result.errors).toEqual([]);
    expect(result.units.length).toBeGreaterThanOrEqual(260);
    expect(result.units.length + result.skipped.length).toBe(345);
    expect(new Set(result.skipped.map((s) => s.reason))).toEqual(new Set(["forward or quote only: no text of the sender's own"]));
  });

  it('gives every unit its Message-ID, a date and his name with the address', () => {
    expect(result.units.every((u) => /^<\d+\.\d+\.JavaMail\.evans@thyme>$/.test(u.locator ?? ''))).toBe(true);
    expect(result.units.every((u) => u.date?.startsWith('2001-'))).toBe(true);
    expect(new Set(result.units.map((u) => u.author))).toEqual(new Set(['Phillip K. Allen <k..allen@enron.com>', 'Phillip K Allen <phillip.allen@enron.com>']));
  });

  it('strips quoted, forwarded and signature text and keeps the quoted message as context', () => {
    const ten = result.units.find((u) => u.source === '10.');
    expect(ten?.text).toMatch(/graphs illustrating volumes by tenor/);
    expect(ten?.text).not.toMatch(/Original Message|Webb, Jay|713-853-7041/);
    expect(ten?.context).toBe('From: Webb, Jay\nSubject: charts');
    const texts = result.units.map((u) => u.text).join('\n');
    expect(texts).not.toMatch(/-----Original|Forwarded by|Inline attachment follows|^>|wrote:\s*$|^(Sent|To|Cc):\t/m);
  });

  it('keeps all his mail under his name in any word order, and only the right address under an address', async () => {
    const byName = await loadCorpus(dir, { author: 'phillip k allen' });
    expect(byName.units).toHaveLength(result.units.length);
    const byAddress = await loadCorpus(dir, { author: 'phillip.allen@enron.com' });
    expect(byAddress.units.length).toBeGreaterThan(0);
    expect(byAddress.units.every((u) => u.author?.endsWith('<phillip.allen@enron.com>'))).toBe(true);
  });

  it('recognises one of the files, named "1." with no extension, as mail by its content', async () => {
    const root = tmpDir();
    fs.copyFileSync(path.join(dir, '1.'), path.join(root, 'message'));
    const r = await loadCorpus(root);
    expect(r.units).toEqual([expect.objectContaining({ kind: 'email', locator: '<25828831.1075855376669.JavaMail.evans@thyme>', title: 'RE: Additional properties in San Antonio' })]);
  });
});
