import crypto from 'node:crypto';
import type { Lang } from '../text/lang';
import type { ConsentRecord } from '../avatars/schema';
import { t } from '../chat/i18n';
import { UnderstudyError } from '../errors';
import type { StateStore } from '../store/types';

export type ConsentBasis = 'self' | 'consent' | 'policy';
export type ConsentStatus = 'pending' | 'approved' | 'declined' | 'expired' | 'completed' | 'failed';

/** Platform-qualified person: `slack:U123`, `lark:ou_abc`, or `cli:<name>`. */
export interface Party {
  id: string;
  name?: string;
  /** The language to speak to them in (their messages in the flow are in it). */
  lang?: Lang;
}

export interface CollectionScope {
  /** Channel ids or names; empty means every channel the bot can read. */
  channels: string[];
  /** ISO date: collect messages from this point on. */
  since?: string;
  files: boolean;
}

export interface ConsentRequest {
  id: string;
  slug: string;
  subject: Party;
  requester: Party;
  basis: ConsentBasis;
  scope: CollectionScope;
  purpose: string;
  reason?: string;
  status: ConsentStatus;
  createdAt: string;
  expiresAt: string;
  decidedAt?: string;
  decidedBy?: string;
  /** Where to report progress and the outcome (platform channel id). */
  replyChannel?: string;
  note?: string;
}

const NS = 'consent';

/**
 * Consent requests and records. Nothing is collected for a distillation unless a request is
 * `approved` (self-distillation and admin policy are approved at creation, with their basis).
 */
export class ConsentBook {
  constructor(
    private readonly store: StateStore,
    private readonly ttlDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: Omit<ConsentRequest, 'id' | 'status' | 'createdAt' | 'expiresAt'>): Promise<ConsentRequest> {
    if (input.basis === 'policy' && !input.reason?.trim()) {
      throw new UnderstudyError('CONSENT_REQUIRED', 'A policy-basis distillation needs a stated reason (--reason "...").');
    }
    const now = this.now();
    const selfOrPolicy = input.basis === 'self' || input.basis === 'policy';
    const req: ConsentRequest = {
      ...input,
      id: `CONSENT-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${crypto.randomBytes(3).toString('hex')}`,
      status: selfOrPolicy ? 'approved' : 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttlDays * 86_400_000).toISOString(),
      decidedAt: selfOrPolicy ? now.toISOString() : undefined,
      decidedBy: selfOrPolicy ? input.requester.id : undefined,
    };
    await this.store.kvSet(NS, req.id, req);
    await this.store.audit({
      actor: input.requester.id,
      action: input.basis === 'consent' ? 'consent_requested' : 'consent_recorded',
      avatar: input.slug,
      detail: { consent: req.id, subject: input.subject.id, basis: input.basis, reason: input.reason ?? null, scope: input.scope, purpose: input.purpose },
    });
    return req;
  }

  get(id: string): Promise<ConsentRequest | undefined> {
    return this.store.kvGet<ConsentRequest>(NS, id);
  }

  async list(): Promise<ConsentRequest[]> {
    return (await this.store.kvList<ConsentRequest>(NS)).map((r) => r.value);
  }

  /** A pending or active request for this subject, if any (to refuse a second one). */
  async openFor(subjectId: string): Promise<ConsentRequest | undefined> {
    return (await this.list()).find((r) => r.subject.id === subjectId && (r.status === 'pending' || r.status === 'approved') && !this.isExpired(r));
  }

  isExpired(r: ConsentRequest): boolean {
    return r.status === 'pending' && new Date(r.expiresAt).getTime() <= this.now().getTime();
  }

  /** The subject approves or declines. Only the subject may decide; an expired request cannot be approved. */
  async decide(id: string, approve: boolean, actor: string): Promise<ConsentRequest> {
    const r = await this.get(id);
    if (!r) throw new UnderstudyError('INPUT_INVALID', `No consent request ${id}.`);
    if (actor !== r.subject.id) {
      await this.store.audit({ actor, action: 'consent_decision_refused', avatar: r.slug, detail: { consent: id } });
      throw new UnderstudyError('ACCESS_DENIED', 'Only the person whose avatar it would be can approve or decline this request.', { details: { zh: '只有数字分身的本人可以同意或拒绝这个请求。' } });
    }
    if (this.isExpired(r)) {
      await this.update(r, { status: 'expired' });
      throw new UnderstudyError('CONSENT_REQUIRED', 'This consent request has expired; nothing was collected. Ask for a new one.', { details: { zh: '这个授权请求已过期，没有收集任何内容。请重新发起。' } });
    }
    if (r.status !== 'pending') throw new UnderstudyError('INPUT_INVALID', `This request was already ${r.status}.`, { details: { zh: `这个请求已经处理过（${r.status}）。` } });
    const next = await this.update(r, { status: approve ? 'approved' : 'declined', decidedAt: this.now().toISOString(), decidedBy: actor });
    await this.store.audit({ actor, action: approve ? 'consent_approved' : 'consent_declined', avatar: r.slug, detail: { consent: id } });
    return next;
  }

  /** Mark pending requests past their expiry; returns them so requesters can be told. */
  async expireDue(): Promise<ConsentRequest[]> {
    const out: ConsentRequest[] = [];
    for (const r of await this.list()) {
      if (this.isExpired(r)) {
        out.push(await this.update(r, { status: 'expired' }));
        await this.store.audit({ actor: 'system', action: 'consent_expired', avatar: r.slug, detail: { consent: r.id } });
      }
    }
    return out;
  }

  async update(r: ConsentRequest, patch: Partial<ConsentRequest>): Promise<ConsentRequest> {
    const next = { ...r, ...patch };
    await this.store.kvSet(NS, r.id, next);
    return next;
  }

  /** Must be called before any collection: throws unless the request is approved and current. */
  async requireApproved(id: string): Promise<ConsentRequest> {
    const r = await this.get(id);
    if (!r || r.status !== 'approved') {
      throw new UnderstudyError('CONSENT_REQUIRED', `Nothing is collected without an approved consent record (${id}: ${r?.status ?? 'missing'}).`);
    }
    return r;
  }
}

/** The record copied into avatar.yaml. */
export function consentRecord(r: ConsentRequest): ConsentRecord {
  return {
    basis: r.basis,
    subject: r.subject.name ?? r.subject.id,
    // Names, not platform ids: this is what /avatar mine shows (the ids are in aliases and the request).
    approved_by: r.basis === 'consent' ? (r.subject.name ?? r.decidedBy ?? r.subject.id) : r.requester.name ?? r.requester.id,
    reason: r.reason ?? r.purpose,
    recorded_at: r.decidedAt ?? r.createdAt,
    scope: describeScope(r.scope),
    consent_id: r.id,
  };
}

export function describeScope(s: CollectionScope, lang: Lang = 'en'): string {
  if (lang === 'zh') {
    const where = s.channels.length ? `频道 ${s.channels.join('、')}` : '机器人能读取的所有频道';
    return `${where}${s.since ? `（${s.since.slice(0, 10)} 起）` : ''}；${s.files ? '包括' : '不包括'}文件`;
  }
  const where = s.channels.length ? `channels ${s.channels.join(', ')}` : 'every channel the bot can read';
  return `${where}${s.since ? ` since ${s.since.slice(0, 10)}` : ''}; files ${s.files ? 'included' : 'not included'}`;
}

/** What the avatar is for, as the subject reads it. */
export function purposeText(lang: Lang): string {
  return t(lang, 'a digital avatar that answers colleagues from your own messages, with citations, always labelled as an avatar', '一个根据你本人的消息回答同事问题的数字分身：注明出处，并始终标明是数字分身');
}

/** The language for a person: their name in Chinese script says Chinese; otherwise the fallback. */
export function langOfName(name: string | undefined, fallback: Lang): Lang {
  return /\p{Script=Han}/u.test(name ?? '') ? 'zh' : fallback;
}
