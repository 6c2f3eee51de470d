/**
 * MCP_TOKENS: who may use the MCP endpoint (POST /mcp) and as whom. A comma-separated list of
 * `<token>=<platform>:<user id>`, e.g. `3f9c…=slack:U07MGR0001,8a1d…=lark:ou_mgr0001`. Each token
 * stands for that chat user: the avatars' access lists and visibility rules apply as in a DM.
 * Problems are reported by entry number, never with the token itself.
 */
export interface McpToken {
  token: string;
  platform: 'slack' | 'lark';
  userId: string;
}

/** Tokens shorter than this are refused: a bearer token is a password. */
export const MIN_MCP_TOKEN_CHARS = 16;

export function parseMcpTokens(raw: string): { tokens: McpToken[]; problems: string[] } {
  const tokens: McpToken[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  raw
    .split(',')
    .map((s) => s.trim())
    .forEach((entry, i) => {
      const n = i + 1;
      if (entry === '') return;
      const eq = entry.indexOf('=');
      if (eq <= 0) {
        problems.push(`entry ${n} must be <token>=<platform>:<user id> (e.g. <token>=slack:U123)`);
        return;
      }
      const token = entry.slice(0, eq).trim();
      const user = /^(slack|lark):([A-Za-z0-9_.-]+)$/.exec(entry.slice(eq + 1).trim());
      if (!user) {
        problems.push(`entry ${n}: the user must be slack:<user id> or lark:<open id>, as in the avatars' access lists`);
        return;
      }
      if (token.length < MIN_MCP_TOKEN_CHARS || /\s/.test(token)) {
        problems.push(`entry ${n}: the token must be at least ${MIN_MCP_TOKEN_CHARS} characters without spaces (e.g. openssl rand -hex 24)`);
        return;
      }
      if (seen.has(token)) {
        problems.push(`entry ${n}: the same token is given twice`);
        return;
      }
      seen.add(token);
      tokens.push({ token, platform: user[1] as 'slack' | 'lark', userId: user[2] });
    });
  return { tokens, problems };
}
