import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { tmpDir } from '../helpers/fixtures';

export const DEMO_AVATARS = path.join(__dirname, '..', '..', 'avatars');

/** The demo avatars (read in place) with a fresh index and state, ingested once per call. */
export async function demoService(slugs: string[], model?: BaseChatModel): Promise<AvatarService> {
  const data = tmpDir('demo-');
  const svc = new AvatarService({ avatarsDir: DEMO_AVATARS, dataDir: path.join(data, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:'), model });
  for (const s of slugs) await svc.ingest(s);
  return svc;
}
