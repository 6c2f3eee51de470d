import type { Answer } from '../answer/types';
import type { Lang } from '../text/lang';
import type { LeftOut } from './plan';

/** One avatar's turn: its answer, cited and labelled like any answer. */
export interface MeetingAnswer {
  avatar: string;
  /** The person's name in the meeting's language. */
  name: string;
  answer: Answer;
}

/** A source a synthesis point rests on: citation `n` of `avatar`'s answer. */
export interface PointCitation {
  avatar: string;
  n: number;
  source: string;
  locator: string;
}

export interface SynthesisPoint {
  text: string;
  citations: PointCitation[];
}

/** The moderator's step: where the answers agree, where they differ, what none of them covers. */
export interface Synthesis {
  /** `model`: a language model read the answers; `extractive`: key terms compared, no model. */
  method: 'model' | 'extractive';
  model?: string;
  /** One sentence saying how the synthesis was made (and, offline, what that means). */
  note: string;
  agree: SynthesisPoint[];
  differ: SynthesisPoint[];
  gaps: SynthesisPoint[];
}

export interface Meeting {
  id: string;
  question: string;
  lang: Lang;
  answers: MeetingAnswer[];
  leftOut: LeftOut[];
  synthesis: Synthesis;
}
