/*
 * Runs the schema, API response and browser tests in order and ends with
 * the line tools/dev/test.sh reads: "N passed, N failed".
 * usage: node run.js [FILTER]   (only the tests whose name contains FILTER)
 */

'use strict';

const { runTests, results } = require('./lib');

async function main() {
  const filter = process.argv[2] || '';
  const files = ['./schema.test.js', './api.test.js', './browser.test.js'];
  let list = [];
  for (const f of files) {
    try {
      list = list.concat(require(f));
    } catch (e) {
      if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(f.slice(2))) continue;
      throw e;
    }
  }
  list = list.filter((t) => t.name.includes(filter));
  await runTests(list);
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exitCode = results.failed === 0 && results.passed > 0 ? 0 : 1;
}

main().catch((e) => {
  console.log(String(e && e.stack ? e.stack : e));
  console.log(`${results.passed} passed, ${results.failed + 1} failed`);
  process.exitCode = 1;
});
