import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { redactName } from '../../src/corpus/redact';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

describe('source file names are masked like text', () => {
  it.each([
    ['hr/身份证-310104198507123414.pdf', 'hr/身份证-[redacted:cn_id].pdf'],
    ['notes/call_13912345678.md', 'notes/call_[redacted:phone].md'],
    ['notes/138-1234-5678.txt', 'notes/[redacted:phone].txt'],
    ['kyc/chen.jing@yunpeng.example-contract.md', 'kyc/[redacted:email]-contract.md'],
    ['creds_AKIAJ7QXN3RZ5TW2KL4M.txt', 'creds_[redacted:api_key].txt'],
    ['runbooks/rollback-v2.14.2.md', 'runbooks/rollback-v2.14.2.md'],
    ['reports/2025-11-18-weekly.md', 'reports/2025-11-18-weekly.md'],
    ['chat/slack/payments-C_PAY.json', 'chat/slack/payments-C_PAY.json'],
  ])('%s → %s', (name, masked) => {
    expect(redactName(name).text).toBe(masked);
  });

  it('keeps them out of the index, search results and answers', async () => {
    const root = tmpDir();
    makeAvatar(root, 'lz', {
      'kyc/身份证-310104198507123414.md': '# 商户法人资料\n\n法人的证件已经核对，按季度复查一次。\n',
      'notes/call_13912345678.md': '# Vendor hotline\n\nCall the SFTP vendor when the nightly drop is late.\n',
    });
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('lz');
      const sources = [...svc.index('lz').chunkStore().iterateChunks()].map((c) => `${c.source} ${c.title ?? ''}`).join('\n');
      expect(sources).not.toMatch(/310104198507123414|13912345678/);
      expect(sources).toMatch(/kyc\/身份证-\[redacted:cn_id\]\.md/);
      const answer = await svc.ask('lz', { question: 'When should I call the SFTP vendor?', conversation: 'c1', actor: 'cli:test', viewer: LOCAL_VIEWER });
      expect(JSON.stringify(answer)).not.toMatch(/13912345678/);
      expect(answer.citations.map((c) => c.source)).toContain('notes/call_[redacted:phone].md');
    } finally {
      svc.close();
    }
  });
});
