import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CliContext } from '../cli/context';
import { println } from '../cli/io';
import { tuneMalloc } from '../util/malloc-tuning';
import { renderIngestReport } from '../cli/render';
import { operatorCaller } from './caller';
import { createMcpServer } from './server';

/**
 * `understudy mcp`: the MCP server over stdio, for an MCP client on the operator's machine
 * (Claude Desktop, Cursor, a coding agent). The operator's view, like the terminal chat: every
 * source, every avatar they host; calls are audited as `mcp:cli:<login>`. stdout carries the
 * protocol only; progress and logs go to stderr.
 */
export function registerMcpCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('mcp')
    .description('serve the avatars to an MCP client over stdio (tools list_avatars, ask_avatar, search_avatar, summarize_export; skills and evidence as resources)')
    .action(async () => {
      const rt = ctx.runtime();
      // Long-running like serve: unloaded indexes give their memory back (util/malloc-tuning).
      tuneMalloc(rt.config.env, rt.log);
      await rt.ready();
      const { service } = rt;
      for (const bad of service.registry.invalid) println(io.stderr, `understudy mcp: skipped ${bad.dir}: ${bad.error.message}`);
      // Like serve: an avatar that was never ingested is indexed before the first question.
      for (const pkg of service.registry.list().filter((a) => a.config.status === 'active')) {
        if (service.index(pkg.config.slug).exists()) continue;
        println(io.stderr, `understudy mcp: building the index of ${pkg.config.slug}…`);
        println(io.stderr, renderIngestReport(await service.ingest(pkg.config.slug)));
      }
      const mcp = createMcpServer({ service, caller: operatorCaller(io.env), log: rt.log });
      const transport = new StdioServerTransport(io.stdin, io.stdout);
      const closed = new Promise<void>((resolve) => {
        mcp.server.server.onclose = () => resolve();
        // The client went away (closed our stdin): stop serving.
        io.stdin.once('end', () => resolve());
        io.stdin.once('close', () => resolve());
      });
      await mcp.connect(transport);
      println(io.stderr, `understudy mcp: serving ${service.registry.list().filter((a) => a.config.status === 'active').length} avatar(s) over stdio`);
      await closed;
      await mcp.close();
    });
}
