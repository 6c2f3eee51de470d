import type { Viewer } from '../avatars/visibility';
import type { SourceKind, Visibility } from '../corpus/types';

export interface Citation {
  /** The number used in the answer text: [1], [2]... */
  n: number;
  source: string;
  locator: string;
  /** The quoted passage (trimmed). */
  text: string;
  title?: string;
  url?: string;
  kind: SourceKind;
  date?: string;
  visibility: Visibility;
}

export interface Answer {
  avatar: string;
  /** The body, without the disclosure line; adapters render both. */
  text: string;
  citations: Citation[];
  /** What opens the reply: the full introduction on first contact, else the short label. */
  disclosure: string;
  /** The short "digital avatar of X" label, carried by every reply. */
  label: string;
  firstContact: boolean;
  grounded: boolean;
  /**
   * How well the sources answer: 'high' = plainly; 'low' = the closest material, hedged.
   * A decline (grounded false) is always 'low'.
   */
  confidence: 'high' | 'low';
  /** `offline-extractive`, or the chat model's name. */
  model: string;
  lang: 'zh' | 'en';
  /** The person's pronoun (avatar.yaml), for labels such as "not how she'd say it". */
  pronoun?: 'he' | 'she' | 'they';
}

export interface HistoryTurn {
  role: 'user' | 'avatar';
  text: string;
}

export interface AskInput {
  question: string;
  history?: HistoryTurn[];
  viewer: Viewer;
  /** Whether this is the avatar's first reply in the conversation. */
  firstContact: boolean;
}
