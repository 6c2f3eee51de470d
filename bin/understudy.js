#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('understudy: dist/ is missing. Run `npm install` (or `npm run build`) first.\n');
  process.exit(2);
}
// `understudy ... | head` closes our stdout early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const cli = require(entry);
cli.installLastResortHandlers();
cli.main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
