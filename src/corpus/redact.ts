export type RedactionKind =
  | 'api_key'
  | 'token'
  | 'jwt'
  | 'private_key'
  | 'password'
  | 'connection_string'
  | 'email'
  | 'phone'
  | 'cn_id'
  | 'bank_card'
  | 'person_name';

export interface RedactOptions {
  /** The subject's own addresses stay readable. */
  keepEmails?: string[];
  /** Third-party names to mask when policy asks for it. */
  names?: string[];
}

export type RedactionCounts = Partial<Record<RedactionKind, number>>;

export interface RedactResult {
  text: string;
  counts: RedactionCounts;
}

interface Rule {
  kind: RedactionKind;
  re: RegExp;
  /** Return the replacement, or null to leave the match alone. */
  replace?: (m: RegExpExecArray) => string | null;
}

const mask = (kind: RedactionKind): string => `[redacted:${kind}]`;

/** Chinese resident ID: 17 digits and a checksum character. */
function validCnId(id: string): boolean {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const check = '10X98765432';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * w[i];
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  return check[sum % 11] === id[17].toUpperCase() && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** Whether the digits start with a real issuer prefix for their length (Visa, Mastercard, Amex, UnionPay, JCB, Discover, Diners). */
function cardIssuer(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p2 === 62) return n >= 16 && n <= 19;
  if (p2 === 35) return n >= 16 && n <= 19;
  if (p4 === 6011 || p2 === 64 || p2 === 65) return n >= 16 && n <= 19;
  if (p2 === 30 || p2 === 36 || p2 === 38) return n === 14;
  return false;
}

/** A value after `password=` that looks like a secret rather than prose ("see vault"). */
function secretLike(value: string, quoted: boolean): boolean {
  if (/^(<|\[redacted|\$\{|\{\{|\*+$|x+$|null$|none$|true$|false$|changeme$)/i.test(value)) return false;
  if (quoted) return value.length >= 4;
  return value.length >= 6 && (/\d/.test(value) || /[^A-Za-z0-9]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value)));
}

const RULES: Rule[] = [
  { kind: 'private_key', re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g },
  {
    kind: 'connection_string',
    re: /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z]+):\/\/[^\s:@/'"<>]*:[^\s@'"<>]+@[^\s'"<>]+/gi,
  },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: 'api_key', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'token', re: /\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}/g },
  { kind: 'token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}/g },
  { kind: 'api_key', re: /\bsk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'api_key', re: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'api_key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'token', re: /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g, replace: () => `Bearer ${mask('token')}` },
  {
    kind: 'password',
    re: /\b((?:[A-Za-z0-9]+[_-])*(?:password|passwd|pwd|pass|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|app[_-]?secret|aws_secret_access_key))(["']?\s*[=:]\s*)(["']?)([^\s"'`,;，；)]+)\3/gi,
    replace: (m) => (secretLike(m[4], m[3] !== '') ? `${m[1]}${m[2]}${m[3]}${mask('password')}${m[3]}` : null),
  },
  {
    kind: 'password',
    re: /(密码|口令|密钥|秘钥)(\s*(?:是|为|[:：=])\s*)([^\s，。；,;]{4,})/g,
    replace: (m) => (secretLike(m[3], true) ? `${m[1]}${m[2]}${mask('password')}` : null),
  },
  { kind: 'email', re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  {
    kind: 'cn_id',
    re: /(?<!\d|\d\.)\d{17}[\dXx](?!\d|\.\d)/g,
    replace: (m) => (validCnId(m[0]) ? mask('cn_id') : null),
  },
  {
    kind: 'bank_card',
    re: /(?<![\d.\-:])[2-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d.\-:])/g,
    replace: (m) => {
      const digits = m[0].replace(/[ -]/g, '');
      return cardIssuer(digits) && luhn(digits) && !/^(\d)\1+$/.test(digits) ? mask('bank_card') : null;
    },
  },
  { kind: 'phone', re: /(?<!\d|\d\.)(?:(?:\+|00)86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d|\.\d)/g },
  { kind: 'phone', re: /(?<!\d|\d\.)0\d{2,3}-\d{7,8}(?!\d|\.\d)/g },
  { kind: 'phone', re: /(?<![\w+])\+\d{1,3}[\s-]?(?:\(\d{1,4}\)|\d{1,4})(?:[\s-]\d{2,4}){2,4}(?!\d)/g },
  { kind: 'phone', re: /(?<![\d.-])\(?\b\d{3}\)?[\s.-]\d{3}[.-]\d{4}\b(?![.-]\d)/g },
];

/**
 * Mask secrets and third parties' personal data before anything is embedded, stored or shown.
 * Masks read `[redacted:<kind>]`, so the sentence around them stays searchable. Idempotent.
 */
export function redact(text: string, opts: RedactOptions = {}): RedactResult {
  const counts: RedactionCounts = {};
  const keep = new Set((opts.keepEmails ?? []).map((e) => e.toLowerCase()));
  let out = text;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (...args: unknown[]) => {
      const match = args.slice(0, -2).filter((a) => typeof a === 'string' || a === undefined) as string[];
      const m = Object.assign([...match], { index: 0, input: out }) as unknown as RegExpExecArray;
      if (rule.kind === 'email' && keep.has(m[0].toLowerCase())) return m[0];
      const replacement = rule.replace ? rule.replace(m) : mask(rule.kind);
      if (replacement === null) return m[0];
      counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
      return replacement;
    });
  }
  for (const name of opts.names ?? []) {
    if (name.trim().length < 2) continue;
    const escaped = name.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = /^[\x00-\x7f]+$/.test(name) ? new RegExp(`\\b${escaped}\\b`, 'gi') : new RegExp(escaped, 'g');
    out = out.replace(re, () => {
      counts.person_name = (counts.person_name ?? 0) + 1;
      return mask('person_name');
    });
  }
  return { text: out, counts };
}

export function mergeCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  const out: RedactionCounts = { ...a };
  for (const [k, v] of Object.entries(b) as [RedactionKind, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}
