import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Lang } from '../text/lang';
import type { HistoryMessage } from '../chat/history';

/** A pointer to one fetched message: its id and, when the platform has one, its link. */
export interface Cite {
  id: string;
  link?: string;
  who: string;
  ts: number;
}

/** A conversation unit: one thread, or a burst of loose channel messages close in time. */
export interface Unit {
  messages: HistoryMessage[];
  /** The thread's root when it is in range. */
  root?: HistoryMessage;
}

export interface SummaryTopic {
  /** A few words naming the topic. */
  title: string;
  /** One or two sentences on it: quoted (offline) or written by the model. */
  summary: string;
  messages: number;
  people: number;
  /** 1-3 messages that stand for the topic. */
  cites: Cite[];
}

export interface SummaryDecision {
  who: string;
  what: string;
  cite: Cite;
}

export interface SummaryAction {
  owner?: string;
  task: string;
  due?: string;
  cite: Cite;
}

export interface SummaryQuestion {
  who: string;
  question: string;
  cite: Cite;
}

export interface Participant {
  id: string;
  name: string;
  messages: number;
}

export interface Summary {
  lang: Lang;
  scope: 'channel' | 'thread';
  channel?: string;
  /** First and last message in the summary (ms). */
  from?: number;
  to?: number;
  messageCount: number;
  threadCount: number;
  /** 2-4 sentences. */
  overview: string[];
  topics: SummaryTopic[];
  decisions: SummaryDecision[];
  actions: SummaryAction[];
  questions: SummaryQuestion[];
  participants: Participant[];
  /** Caps, skipped windows, anything the reader should know about how it was made. */
  notes: string[];
  /** `offline-extractive` or the chat model's name. */
  model: string;
}

export interface SummarizeOptions {
  /** Output language; by default the channel's main language. */
  lang?: Lang;
  channelName?: string;
  scope?: 'channel' | 'thread';
  /** With a model: map-reduce over time-ordered windows. Without: extractive. */
  model?: BaseChatModel;
  /** Longest span summarised; older messages are left out with a note. Default: no cap, the whole range given. */
  maxDays?: number;
  /** The range the person asked for, in words ("from 2021-01-01", "the whole export"), for the coverage note. */
  asked?: string;
  notes?: string[];
  /** Write in the voice of this avatar (the model's overview; offline, only the preface changes). */
  voice?: { name: string };
  maxTopics?: number;
  /** Windows summarised so far (model path), for progress. */
  onProgress?: (done: number, total: number) => void;
}
