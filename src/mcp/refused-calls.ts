import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

/**
 * Watch a connected transport for tool calls the SDK answers without running the tool (input
 * that fails the tool's schema, an unknown tool) and report each one, so that every call is
 * audited, not only those that reached a tool. `reached` holds the ids of calls a tool ran.
 */
export function auditRefusedCalls(transport: Transport, reached: Set<RequestId>, onRefused: (tool: string, message: string) => void): void {
  const calls = new Map<RequestId, string>();
  const receive = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const m = message as { id?: RequestId; method?: string; params?: { name?: unknown } };
    if (m.method === 'tools/call' && m.id !== undefined) calls.set(m.id, typeof m.params?.name === 'string' ? m.params.name.slice(0, 64) : 'unknown');
    receive?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage, options) => {
    const m = message as { id?: RequestId; result?: { isError?: boolean; content?: { text?: string }[] }; error?: { message?: string } };
    const tool = m.id !== undefined ? calls.get(m.id) : undefined;
    if (m.id !== undefined && tool !== undefined && (m.result !== undefined || m.error !== undefined)) {
      calls.delete(m.id);
      if (!reached.delete(m.id)) onRefused(tool, m.error?.message ?? m.result?.content?.[0]?.text ?? '');
    }
    return send(message, options);
  };
}
