import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Logger } from 'pino';
import { answerQuestion, type TokenSink } from '../answer/answer';
import { OFFLINE_MODEL } from '../answer/offline';
import type { Answer, AskInput } from '../answer/types';
import { ingestAvatar, type IngestOptions, type IngestReport } from '../retrieval/ingest';
import { redact } from '../corpus/redact';
import { UnderstudyError } from '../errors';
import { silentLogger } from '../log';
import { AvatarIndex } from '../retrieval/avatar-index';
import type { EmbedderFactory } from '../retrieval/embedders';
import { IndexCache, indexFootprint } from '../retrieval/index-cache';
import { answerPath, metrics } from '../jobs/metrics';
import type { StateStore } from '../store/types';
import { MAX_QUESTION_CHARS } from '../text/limits';
import { readSkill, type AvatarPackage } from '../avatars/package';
import { AvatarRegistry } from '../avatars/registry';
import type { AvatarHost } from '../avatars/host';

export interface AvatarServiceOptions {
  avatarsDir: string;
  dataDir: string;
  embedders: EmbedderFactory;
  store: StateStore;
  model?: BaseChatModel;
  log?: Logger;
  /** Loaded indexes held at once, in MB (UNDERSTUDY_INDEX_MEMORY_MB); the least recently used are unloaded beyond it. Default 1024. */
  indexMemoryMb?: number;
}

export interface AskRequest extends Omit<AskInput, 'firstContact' | 'history'> {
  /** Conversation key (`slack:T1:D1:1700.1`); memory and first-contact are kept per key. */
  conversation: string;
  /** Who asks, platform-qualified, for the audit log. */
  actor: string;
  /** Earlier turns from the platform when the store has none (thread fetched from Slack). */
  fallbackHistory?: AskInput['history'];
  /** The answer as it is written (model tokens, or the offline answer piece by piece): drafts only, replaced by the returned Answer. */
  onToken?: TokenSink;
  /** Pause between the offline answer's pieces given to `onToken` (see AnswerDeps.draftPaceMs). */
  draftPaceMs?: number;
}

const HISTORY_TURNS = 8;

/** The avatars this process hosts: registry, indexes, skills and the ask flow around the core. */
export class AvatarService implements AvatarHost {
  readonly registry: AvatarRegistry;
  readonly store: StateStore;
  readonly dataDir: string;
  readonly embedders: EmbedderFactory;
  readonly model?: BaseChatModel;
  private readonly log: Logger;
  private readonly indexes = new Map<string, AvatarIndex>();
  /** The index version each avatar served when last used: a new one is measured again for the memory budget. */
  private readonly indexVersions = new Map<string, string | undefined>();
  /** Which indexes stay loaded: a hub with a hundred avatars holds only the recently asked ones. */
  readonly indexMemory: IndexCache;

  constructor(options: AvatarServiceOptions) {
    this.registry = new AvatarRegistry(options.avatarsDir);
    this.store = options.store;
    this.dataDir = options.dataDir;
    this.embedders = options.embedders;
    this.model = options.model;
    this.log = options.log ?? silentLogger;
    this.indexMemory = new IndexCache((options.indexMemoryMb ?? 1024) * 2 ** 20, this.log);
  }

  get(slugOrHandle: string): AvatarPackage {
    return this.registry.get(slugOrHandle);
  }

  index(slug: string): AvatarIndex {
    const pkg = this.registry.get(slug);
    let idx = this.indexes.get(pkg.config.slug);
    if (!idx) {
      idx = new AvatarIndex(this.dataDir, pkg.config, this.embedders, this.log.child({ avatar: pkg.config.slug }));
      this.indexes.set(pkg.config.slug, idx);
    }
    // The index follows its published version itself (a new one is loaded before it replaces the old).
    const version = idx.version;
    if (this.indexVersions.get(pkg.config.slug) !== version) this.indexMemory.forget(pkg.config.slug);
    this.indexVersions.set(pkg.config.slug, version);
    const used = idx;
    this.indexMemory.touch(pkg.config.slug, () => indexFootprint(used.files), () => used.close());
    return idx;
  }

  /** Re-read avatar.yaml files (after pause, resume, a new avatar) and drop indexes of removed avatars. */
  reload(): void {
    this.registry.reload();
    for (const [slug, idx] of this.indexes) {
      const pkg = this.registry.find(slug);
      if (!pkg) {
        idx.close();
        this.indexes.delete(slug);
        this.indexMemory.forget(slug);
      } else idx.updateConfig(pkg.config);
    }
  }

  /** A new version of `slug`'s index was published elsewhere (a Redis notification): load it now if the index is in use. */
  indexPublished(slug: string): void {
    this.indexes.get(slug)?.refresh();
  }

  async ingest(slug: string, options: IngestOptions = {}): Promise<IngestReport> {
    const pkg = this.registry.get(slug);
    const report = await ingestAvatar(pkg, this.index(slug), { log: this.log, ...options });
    return report;
  }

  /** Ask an avatar, with memory, first-contact disclosure and an audit record of sources shown. */
  async ask(slugOrHandle: string, req: AskRequest): Promise<Answer> {
    const pkg = this.registry.get(slugOrHandle);
    const slug = pkg.config.slug;
    if (pkg.config.status !== 'active') {
      throw new UnderstudyError('AVATAR_UNAVAILABLE', `The avatar of ${pkg.config.person.name} is ${pkg.config.status} and is not answering anyone.`, {
        details: { avatar: slug, status: pkg.config.status },
      });
    }
    const stored = await this.store.recentTurns(req.conversation, slug, HISTORY_TURNS);
    const history = stored.length > 0 ? stored.map((t) => ({ role: t.role, text: t.text })) : (req.fallbackHistory ?? []);
    const firstContact = !(await this.store.hasAvatarSpoken(req.conversation, slug)) && !history.some((t) => t.role === 'avatar');
    const index = this.index(slug);
    const answer = await answerQuestion(
      { config: pkg.config, skill: readSkill(pkg), index, model: this.model, onToken: req.onToken, draftPaceMs: req.draftPaceMs },
      { question: req.question, history, viewer: req.viewer, firstContact },
    );
    metrics.answers.inc({ path: answerPath(answer, OFFLINE_MODEL) });
    const at = new Date().toISOString();
    // Whatever people type (a password, a phone number) is masked before it is stored; an answer
    // may echo the question, so it is masked too.
    const question = redact(req.question.slice(0, MAX_QUESTION_CHARS)).text;
    await this.store.appendTurn(req.conversation, slug, { role: 'user', text: question, userId: req.actor, at });
    await this.store.appendTurn(req.conversation, slug, {
      role: 'avatar', text: redact(answer.text).text, at, citations: answer.citations.map((c) => ({ source: c.source, locator: c.locator })),
    });
    await this.store.audit({
      actor: req.actor,
      action: 'ask',
      avatar: slug,
      detail: {
        conversation: req.conversation,
        surface: req.viewer.surface,
        question: question.slice(0, 500),
        grounded: answer.grounded,
        model: answer.model,
        sources: answer.citations.map((c) => `${c.source}#${c.locator}`),
      },
    });
    return answer;
  }

  close(): void {
    this.indexMemory.clear();
    for (const idx of this.indexes.values()) idx.close();
    this.indexes.clear();
  }
}
