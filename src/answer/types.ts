import type { Viewer } from '../avatars/visibility';
import { slackDaySource } from '../corpus/loaders/slack-export';
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

/**
 * How a chat citation names its source to a reader: the channel (its title), and for a message of
 * a Slack export the day file it is in, `#general · 2015-06-20`. Without a title, the source path.
 */
export function chatCitationName(c: Pick<Citation, 'kind' | 'title' | 'source'>): string {
  if (!c.title) return c.source;
  const day = c.kind === 'slack' ? slackDaySource(c.source)?.day : undefined;
  return day ? `${c.title} · ${day}` : c.title;
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
