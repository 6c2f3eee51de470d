import type http from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Runtime } from '../app/runtime';
import { readBody, send, type HttpServer } from '../server/http-server';
import { findToken, tokenCaller } from './caller';
import { createMcpServer } from './server';

export const MCP_PATH = '/mcp';

/** A request carries at most an inline export (summarize_export content) and its JSON framing. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * POST /mcp: the MCP server over streamable HTTP, stateless (every request gets a server of its
 * own, bound to the caller its bearer token stands for; answers are plain JSON, no event stream).
 * MCP_TOKENS maps tokens to chat users; without it the endpoint answers 404 and says how to turn
 * it on. A missing or unknown token gets 401. Tokens are never logged.
 */
export function mountMcp(server: HttpServer, runtime: Runtime): void {
  const { config, service, log } = runtime;
  server.route('POST', MCP_PATH, async (req, res) => {
    if (config.mcpTokens.length === 0) {
      send(res, 404, { ok: false, error: 'The MCP endpoint is off. Set MCP_TOKENS=<token>=slack:<user id>,<token>=lark:<open id> to turn it on (README "MCP server").' });
      return;
    }
    const presented = bearer(req);
    const entry = presented === undefined ? undefined : findToken(config.mcpTokens, presented);
    if (!entry) {
      log.info({ path: MCP_PATH, presented: presented !== undefined }, 'MCP request refused: missing or unknown bearer token');
      res.setHeader('www-authenticate', 'Bearer realm="understudy-mcp"');
      send(res, 401, { ok: false, error: presented === undefined ? 'Authorization: Bearer <token> is required (a token from MCP_TOKENS).' : 'Unknown bearer token.' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8'));
    } catch (err) {
      const status = (err as { status?: number }).status === 413 ? 413 : 400;
      send(res, status, { jsonrpc: '2.0', id: null, error: { code: status === 413 ? -32600 : -32700, message: status === 413 ? `request body over ${MAX_BODY_BYTES} bytes` : 'the body is not JSON' } });
      return;
    }
    const mcp = createMcpServer({ service, caller: tokenCaller(entry), questionsPerMinute: config.rateLimits.userPerMinute, log });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
}

function bearer(req: http.IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1] : undefined;
}
