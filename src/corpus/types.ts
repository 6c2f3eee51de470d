export type Visibility = 'public' | 'team' | 'private';
export const VISIBILITIES: readonly Visibility[] = ['public', 'team', 'private'];

export type SourceKind = 'markdown' | 'text' | 'html' | 'email' | 'slack' | 'feishu' | 'pdf' | 'docx';

/** Every way in: the chat platforms, the web playground (adapters/playground/web.ts) and the terminal. */
export type Platform = 'slack' | 'lark' | 'playground' | 'cli';

/** The chat platforms: workspaces with channels, history and people to look up (and collect from). */
export type ChatPlatform = Extract<Platform, 'slack' | 'lark'>;

/**
 * One unit a loader produces: a whole document, one e-mail, or one chat message.
 * Documents get line-range locators from the chunker; messages carry their own locator.
 */
export interface SourceUnit {
  /** Path relative to the corpus root, `/`-separated. Exports add `#<channel>` where useful. */
  source: string;
  kind: SourceKind;
  text: string;
  /** Fixed locator (Message-ID, Slack ts, Feishu message id). Absent for documents. */
  locator?: string;
  /** 1-based line of `text`'s first line within the source file, for documents. */
  firstLine?: number;
  title?: string;
  author?: string;
  /** ISO 8601. */
  date?: string;
  /** Permalink or message link, where the platform has one. */
  url?: string;
  /** Surrounding thread, shown to the model as context but not cited as the author's words. */
  context?: string;
  visibility?: Visibility;
  /** Who may see a private source: platform-qualified user ids or channel ids. */
  audience?: string[];
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface LoadIssue {
  path: string;
  message: string;
  /** Line/column, byte offset or entry index where the problem was found. */
  position?: string;
}

export interface LoadResult {
  units: SourceUnit[];
  skipped: SkippedFile[];
  errors: LoadIssue[];
}

/** A stored chunk: what retrieval returns and answers cite. */
export interface Chunk {
  id: number;
  source: string;
  kind: SourceKind;
  locator: string;
  text: string;
  context?: string;
  title?: string;
  author?: string;
  date?: string;
  url?: string;
  visibility: Visibility;
  audience?: string[];
}
