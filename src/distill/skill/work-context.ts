/**
 * Whether a named thing belongs to the person's work. People's mail mixes work and private life
 * (Phillip Allen's sent mail is half gas trading, half building a house in San Marcos), and
 * "Systems owned" must hold only the systems, products, reports and instruments of the job:
 * not towns, not the bank for a mortgage, not a colleague's name. Used by the synthesis (to
 * choose) and by `skill check` (to catch a skill that chose wrong), on the same cues.
 */

/** Words of private life: a house and land, family, a mortgage. ("a lot of" is not a lot.) */
const PRIVATE =
  /\b(?:homes?|house|houses|(?<!\ba\s)lots?\b(?!\s+of)|builders?|propert(?:y|ies)|acres?|tract|mortgages?|loan|appraisals?|realtor|escrow|tenants?|apartment|wife|husband|kids|sons?|daughters?|family|vacation|church|birthday|wedding|neighbou?rs?|garage|kitchen|bedrooms?|floor ?plans?|framing|roof|subdivision|cabin|ranch|irs|taxes|estimated payments?|permit(?:s|ting)?|zoning|lenders?|hud|financing|architects?|surveyors?|duplex(?:es)?)\b|装修|买房|房子|孩子|老婆|老公|度假|婚礼|生日/gi;

/** Words of work: trading and reporting, software and releases, customers and teams. */
const WORK =
  /\b(?:deals?|trades?|trading|traders?|desks?|positions?|books?|curves?|prices?|pricing|risk|var|p&l|reports?|reporting|meetings?|clients?|customers?|counterpart(?:y|ies)|invoices?|budgets?|forecasts?|revenue|volumes?|basis|index|hedges?|exposure|models?|systems?|spreadsheets?|data|analysis|analysts?|gas|power|storage|pipelines?|capacity|scheduling|deploy(?:s|ed|ment)?|releases?|servers?|database|services?|api|bugs?|tickets?|outage|incident|teams?|managers?|office|department|company|business|projects?|code|tests?|packages?|patch(?:es)?|issues?|repo|branch|commits?|reviews?|documentation|docs|mailing list|trunk|svn|git|cran|console|cluster|queue)\b|服务|数据库|上线|发布|回滚|故障|监控|告警|部署|集群|接口|版本|配置|脚本|测试|项目|客户|报表|需求|延迟|流量|扩容|消费|队列/gi;

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Where a town is named: "a home in X", "builder from X", "X, TX", "the X area". */
function placeCue(name: string): RegExp {
  const n = esc(name);
  return new RegExp(
    `\\b(?:homes?|house|lots?|property|land|acres?|tract|builders?|trip|flight|drive|driving|move|moved|moving|lives?|living|located|downtown|town|city|ranch|office|trails?|ski|skiing|hotel|resort|beach|vacation)\\b(?:\\s+[\\w'’-]+){0,3}\\s+(?:in|at|near|around|from|to|outside)\\s+(?:the\\s+)?(?:city of\\s+)?${n}\\b` +
      `|\\b${n},?\\s+(?:TX|Texas|CA|California|OR|Oregon|NY|New York|IL|Illinois|LA|Louisiana|OK|Oklahoma|CO|Colorado|FL|Florida)\\b` +
      `|\\b(?:in|near|around)\\s+(?:the\\s+)?${n}\\s+(?:area|county|city)\\b` +
      `|\\b(?:meet|meeting|visit|visiting|fly|flying|trip|arrive|arriving|stay|staying|back)\\b(?:\\s+[\\w'’-]+){0,2}\\s+(?:in|to|at)\\s+${n}\\b` +
      `|\\bP\\.?\\s?O\\.?\\s+${n}\\b`,
  );
}

/** Where a person is named: "get with X", "ask X", "X said", "X's". */
function personCue(name: string): RegExp {
  const n = esc(name);
  return new RegExp(
    `\\b(?:with|ask|asked|tell|told|call|called|thank|thanks|dear|hi|hello|let|meet|met|email|emailed|cc)\\s+${n}\\b` +
      `|\\b${n}(?:[’']s\\b|\\s+(?:said|says|will|would|wants|thinks|agreed|signed|called|mentioned|is going|knows|needs|asked|sent)\\b)`,
  );
}

function hits(re: RegExp, text: string): number {
  return text.match(re)?.length ?? 0;
}

export type EntityContext = 'person' | 'place' | 'private' | 'work' | 'unclear';

/**
 * What the texts that name `name` say it is: a person or a place by how it is used, else
 * private or work by the words around it (the sentences naming it count twice).
 */
export function entityContext(name: string, texts: readonly string[]): EntityContext {
  const usable = texts.filter(Boolean);
  if (!usable.length) return 'unclear';
  const share = Math.max(1, usable.length / 3);
  const multiWordOrName = /^[A-Z][a-z]/.test(name);
  // A town is named the way places are at least once; "with X" and "X said" come later, since
  // one can also drive "to San Marcos".
  if (multiWordOrName && usable.some((t) => placeCue(name).test(t))) return 'place';
  if (multiWordOrName && usable.filter((t) => personCue(name).test(t)).length >= share) return 'person';
  let work = 0;
  let priv = 0;
  for (const t of usable) {
    const around = t
      .split(/(?<=[.!?。！？])\s+|\n+/)
      .filter((s) => s.includes(name))
      .join(' ');
    work += hits(WORK, t) + hits(WORK, around);
    priv += hits(PRIVATE, t) + hits(PRIVATE, around);
  }
  if (priv > work) return 'private';
  return work > 0 ? 'work' : 'unclear';
}

/** "**San Marcos** — 6 messages…" → San Marcos; "`deployctl rollback` — …" → deployctl rollback. */
export function claimName(line: string): string | undefined {
  return /^\s*(?:[-*]\s+)?(?:\*\*([^*]+)\*\*|`([^`]+)`)/.exec(line)?.slice(1).find(Boolean);
}

/**
 * Why a Systems claim is not about work, or undefined when it is (or cannot be told): by its
 * bold or code name when it has one, else by the words of the claim and its evidence.
 */
export function offWork(claim: string, evidence: readonly string[] = []): { name: string; why: 'place' | 'person' | 'private life' } | undefined {
  const name = claimName(claim);
  const texts = [claim, ...evidence];
  if (name) {
    const ctx = entityContext(name, texts);
    if (ctx === 'place' || ctx === 'person') return { name, why: ctx };
    return ctx === 'private' ? { name, why: 'private life' } : undefined;
  }
  let work = 0;
  let priv = 0;
  for (const t of texts) {
    work += hits(WORK, t);
    priv += hits(PRIVATE, t);
  }
  return priv > work ? { name: claim.replace(/\s+/g, ' ').slice(0, 40), why: 'private life' } : undefined;
}
