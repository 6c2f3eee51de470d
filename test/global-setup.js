'use strict';
// One notice for the whole run when the real corpora are absent (their suites are skipped), or a
// failure when the run requires them (.ci/run sets UNDERSTUDY_REQUIRE_CORPORA=1).
const fs = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  const dir = path.resolve(__dirname, '../../shared/corpora');
  if (fs.existsSync(dir)) return;
  if (process.env.UNDERSTUDY_REQUIRE_CORPORA === '1') {
    throw new Error(`UNDERSTUDY_REQUIRE_CORPORA=1 but the real corpora are missing: expected ${dir} (../shared/corpora beside the checkout).`);
  }
  process.stderr.write(
    `\n*** NOTICE: ${dir} is missing, so the suites that read real corpora (e-mail, Slack exports, essays, payload samples) are SKIPPED.\n` +
      '*** Put ../shared beside the checkout to run them; CI sets UNDERSTUDY_REQUIRE_CORPORA=1 and fails without them.\n\n',
  );
};
