import { loadConfig } from '../../src/config/env';
import { findToken } from '../../src/mcp/caller';

describe('MCP_TOKENS', () => {
  const A = 'a'.repeat(20);
  const B = 'b-token-0123456789abc';

  it('maps each token to a platform user', () => {
    const config = loadConfig({ MCP_TOKENS: ` ${A}=slack:U123 , ${B}=lark:ou_x ` });
    expect(config.mcpTokens).toEqual([
      { token: A, platform: 'slack', userId: 'U123' },
      { token: B, platform: 'lark', userId: 'ou_x' },
    ]);
    expect(findToken(config.mcpTokens, B)?.userId).toBe('ou_x');
    expect(findToken(config.mcpTokens, `${B}x`)).toBeUndefined();
    expect(findToken(config.mcpTokens, '')).toBeUndefined();
    expect(loadConfig({}).mcpTokens).toEqual([]);
  });

  it('refuses bad entries by number, naming the variable and never echoing a token', () => {
    const short = 'shorty';
    const bad = (v: string): string => {
      try {
        loadConfig({ MCP_TOKENS: v });
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const weak = bad(`${A}=slack:U1,${short}=slack:U2`);
    expect(weak).toMatch(/MCP_TOKENS entry 2: the token must be at least 16 characters/);
    expect(weak).not.toContain(short);
    expect(weak).not.toContain(A);
    expect(bad(`${A}=U1`)).toMatch(/MCP_TOKENS entry 1: the user must be slack:<user id> or lark:<open id>/);
    expect(bad(`${A}`)).toMatch(/MCP_TOKENS entry 1 must be <token>=<platform>:<user id>/);
    expect(bad(`${A}=slack:U1,${A}=lark:ou_2`)).toMatch(/MCP_TOKENS entry 2: the same token is given twice/);
  });
});
