import crypto from 'node:crypto';

export const MAX_AGE_SECONDS = 5 * 60;

export interface LarkSignatureHeaders {
  timestamp?: string;
  nonce?: string;
  signature?: string;
}

/** Feishu's signature: hex sha256 over timestamp + nonce + encrypt key + the raw body. */
export function larkSignature(encryptKey: string, timestamp: string, nonce: string, rawBody: Buffer | string): string {
  return crypto.createHash('sha256').update(timestamp + nonce + encryptKey).update(rawBody).digest('hex');
}

/** Whether the request timestamp (seconds) is within five minutes of now. */
export function isFresh(timestamp: string | undefined, nowSeconds = Date.now() / 1000): boolean {
  const ts = Number(timestamp);
  return timestamp !== undefined && timestamp !== '' && Number.isFinite(ts) && Math.abs(nowSeconds - ts) <= MAX_AGE_SECONDS;
}

/**
 * Which of the encrypt keys signed this request, if any. The SDK signs re-serialised JSON and
 * answers 200 to a bad signature; we check the bytes Feishu sent and reject.
 */
export function matchingKey(keys: readonly string[], headers: LarkSignatureHeaders, rawBody: Buffer): string | undefined {
  if (!headers.signature || headers.timestamp === undefined || headers.nonce === undefined) return undefined;
  const given = Buffer.from(headers.signature.toLowerCase());
  for (const key of keys) {
    const expected = Buffer.from(larkSignature(key, headers.timestamp, headers.nonce, rawBody));
    if (expected.length === given.length && crypto.timingSafeEqual(expected, given)) return key;
  }
  return undefined;
}

function aesKey(encryptKey: string): Buffer {
  return crypto.createHash('sha256').update(encryptKey).digest();
}

/** AES-256-CBC with key sha256(encrypt key) and the IV in the first 16 bytes; throws when it does not decrypt. */
export function decryptLark(encryptKey: string, encrypted: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error('encrypted body has the wrong length');
  const decipher = crypto.createDecipheriv('aes-256-cbc', aesKey(encryptKey), buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

/** Encrypt a body the way Feishu does (tests and benchmarks). */
export function encryptLark(encryptKey: string, plain: string): string {
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-cbc', aesKey(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

/** Headers of a signed Feishu request (tests and benchmarks). */
export function signLarkRequest(encryptKey: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000), nonce = crypto.randomBytes(8).toString('hex')): Record<string, string> {
  return {
    'x-lark-request-timestamp': String(timestamp),
    'x-lark-request-nonce': nonce,
    'x-lark-signature': larkSignature(encryptKey, String(timestamp), nonce, rawBody),
  };
}

/** Constant-time string equality for verification tokens. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}
