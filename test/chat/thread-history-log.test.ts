import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { ChatRouter } from '../../src/chat/router';
import type { ReplyTarget } from '../../src/chat/types';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';

/** A transport whose thread lookup fails the way a platform client does: a wrapper with a cause. */
class FailingThreadTransport extends RecordingTransport {
  async fetchThread(_target: ReplyTarget): Promise<never> {
    throw new Error('conversations.replies failed', { cause: new Error('socket hang up') });
  }
}

it('a failed thread-history lookup is logged with its stack and cause, and the question is still answered', async () => {
  const root = tmpDir();
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first, debug later.\n' });
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
  await service.ingest('lao-zhang');
  const cap = capturingLogger();
  const router = new ChatRouter({ service, log: cap.log, rateLimits: { userPerMinute: 100, workspacePerMinute: 1000 } });
  const t = new FailingThreadTransport();
  await router.handle(dmEvent('@lao-zhang-avatar how do I roll back?', { threadId: '1700000000.000100' }), t);

  const line = cap.lines().find((l) => l.msg === 'could not fetch thread history') as { err?: { message?: string; stack?: string } } | undefined;
  expect(line?.err?.message).toContain('conversations.replies failed');
  expect(line?.err?.stack).toContain('thread-history-log.test.ts');
  expect(JSON.stringify(line?.err)).toContain('socket hang up');
  expect(t.shown().some((r) => r.kind === 'answer')).toBe(true);
});
