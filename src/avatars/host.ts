import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { IngestOptions, IngestReport } from '../retrieval/ingest';
import type { AvatarIndex } from '../retrieval/avatar-index';
import type { StateStore } from '../store/types';
import type { AvatarPackage } from './package';
import type { AvatarRegistry } from './registry';

/**
 * The avatars this process hosts, as features (distill, subject actions, eval) see them: packages,
 * their indexes and the state store. app/avatar-service.ts implements it; features take this port so
 * they never import the application layer.
 */
export interface AvatarHost {
  readonly registry: AvatarRegistry;
  readonly store: StateStore;
  readonly model?: BaseChatModel;
  get(slugOrHandle: string): AvatarPackage;
  index(slug: string): AvatarIndex;
  /** Re-read avatar.yaml files and drop indexes of removed avatars. */
  reload(): void;
  ingest(slug: string, options?: IngestOptions): Promise<IngestReport>;
}
