/**
 * The SDK's cache interface, one per client. The SDK's default cache is shared by the whole
 * process; ours keeps each app's tenant token apart and lets us drop it when Feishu says it
 * expired early.
 */
export class TokenCache {
  private readonly values = new Map<string, { value: unknown; expiredTime?: number }>();

  // `Symbol` (not `symbol`): the SDK types its cache keys that way.
  private key(key: string | Symbol, namespace?: string): string {
    return `${namespace ?? ''}/${String(key)}`;
  }

  async get(key: string | Symbol, options?: { namespace?: string }): Promise<unknown> {
    const v = this.values.get(this.key(key, options?.namespace));
    if (!v) return undefined;
    if (v.expiredTime !== undefined && v.expiredTime <= Date.now()) return undefined;
    return v.value;
  }

  async set(key: string | Symbol, value: unknown, expiredTime?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiredTime });
    return true;
  }

  clear(): void {
    this.values.clear();
  }
}
