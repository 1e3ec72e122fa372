/*
 * Swagger UI (/api/docs/) and ReDoc (/api/redoc/) in headless Chromium
 * (Debian's /usr/bin/chromium, driven by playwright-core): they render
 * every operation of the schema, "Authorize" + "Try it out" works, and no
 * request leaves loopback. Every request the pages make is recorded twice:
 * by Playwright's request events and by a DevTools protocol session
 * (Network.requestWillBeSent); any other host fails the test, and is
 * aborted so that it is never sent.
 */

'use strict';

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { loadSchema, operations, baseUrl, tenant } = require('./lib');

const CHROMIUM = process.env.MTAPI_TEST_CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

const doc = loadSchema();
const ops = operations(doc);

function external(url) {
  let u;
  try { u = new URL(url); } catch (e) { return true; }
  if (LOCAL_SCHEMES.has(u.protocol)) return false;
  if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') {
    return !LOOPBACK.has(u.hostname);
  }
  return true;
}

/*
 * A fresh browser profile, the recorders, and the page; fn(page, log)
 * runs with them and everything is torn down after.
 */
async function withPage(fn) {
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mtapi-docs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    chromiumSandbox: false,
    serviceWorkers: 'block',
  });
  const log = { requests: [], cdp: [], errors: [], console: [] };
  try {
    await context.route('**/*', (route) => {
      if (external(route.request().url())) return route.abort('blockedbyclient');
      return route.continue();
    });
    context.on('request', (r) => log.requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
    const page = context.pages()[0] || await context.newPage();
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (e) => log.cdp.push(e.request.url));
    cdp.on('Network.webSocketCreated', (e) => log.cdp.push(e.url));
    await cdp.send('Network.enable');
    page.on('pageerror', (e) => log.errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') log.console.push(m.text()); });
    await fn(page, log);
    const all = log.requests.map((r) => r.url).concat(log.cdp);
    const outside = [...new Set(all.filter(external))];
    assert.deepStrictEqual(outside, [], `the page asked for other hosts: ${outside.join(', ')}`);
    assert.ok(log.cdp.length > 0, 'the DevTools protocol recorded no request at all');
    assert.deepStrictEqual(log.errors, [], `errors in the page: ${log.errors.join('; ')}`);
    assert.deepStrictEqual(log.console, [], `errors in the console (a blocked request, a CSP violation?): ${log.console.join('; ')}`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

module.exports = [
  {
    name: 'browser: Swagger UI at /api/docs/ lists every operation and loads nothing from other hosts',
    fn: async () => withPage(async (page, log) => {
      const res = await page.goto(baseUrl() + '/api/docs/', { waitUntil: 'load' });
      assert.strictEqual(res.status(), 200);
      await page.waitForSelector('.opblock', { timeout: 30000 });
      const shown = await page.$$eval('.opblock', (els) => els.map((e) => ({
        method: (e.querySelector('.opblock-summary-method') || {}).textContent,
        path: (e.querySelector('.opblock-summary-path') || {}).getAttribute('data-path'),
        summary: (e.querySelector('.opblock-summary-description') || {}).textContent,
      })));
      const want = ops.map((o) => `${o.method.toUpperCase()} ${o.path} ${o.op.summary}`).sort();
      const got = shown.map((s) => `${(s.method || '').toUpperCase()} ${s.path} ${s.summary}`).sort();
      assert.deepStrictEqual(got, want, 'Swagger UI does not show the operations of the schema');
      const text = await page.textContent('body');
      assert.ok(text.includes(doc.info.title), 'no title');
      assert.ok(await page.$('.btn.authorize'), 'no Authorize button');
      assert.ok(log.requests.some((r) => r.url.endsWith('/api/schema/')), 'Swagger UI did not load /api/schema/');
    }),
  },
  {
    name: 'browser: ReDoc at /api/redoc/ lists every operation and loads nothing from other hosts',
    fn: async () => withPage(async (page, log) => {
      const res = await page.goto(baseUrl() + '/api/redoc/', { waitUntil: 'load' });
      assert.strictEqual(res.status(), 200);
      await page.waitForSelector('[data-section-id^="operation/"]', { timeout: 30000 });
      const sections = await page.$$eval('[data-section-id^="operation/"]', (els) => els.map((e) => e.getAttribute('data-section-id')));
      const want = ops.map((o) => `operation/${o.op.operationId}`).sort();
      assert.deepStrictEqual([...new Set(sections)].sort(), want, 'ReDoc does not show the operations of the schema');
      const text = await page.evaluate(() => document.body.innerText);
      for (const o of ops) assert.ok(text.includes(o.op.summary), `ReDoc page lacks "${o.op.summary}"`);
      for (const p of ['/api/v1/projects/{id}/', '/api/v1/tasks/{id}/complete/', '/api/v1/auth/token/']) {
        assert.ok(text.includes(p), `ReDoc page lacks ${p}`);
      }
      assert.ok(log.requests.some((r) => r.url.endsWith('/api/schema/')), 'ReDoc did not load /api/schema/');
    }),
  },
  {
    name: 'browser: Swagger UI "Authorize" + "Try it out" on GET /api/v1/projects/ answers 200',
    fn: async () => withPage(async (page, log) => {
      const token = tenant('acme').access_token;
      await page.goto(baseUrl() + '/api/docs/', { waitUntil: 'load' });
      await page.waitForSelector('.btn.authorize', { timeout: 30000 });

      await page.click('.btn.authorize');
      const input = page.locator('.modal-ux input').first();
      await input.fill(token);
      await page.locator('.modal-ux .auth-btn-wrapper button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();

      const op = page.locator('#operations-Projects-projects_list');
      await op.locator('.opblock-summary').first().click();
      await op.locator('.try-out__btn').click();
      let answer;
      for (let i = 0; ; i++) {
        [answer] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/projects/', { timeout: 30000 }),
          op.locator('button.execute').click(),
        ]);
        // The fixture tenant is shared with the other suites: wait out its rate limit.
        if (answer.status() !== 429 || i === 2) break;
        await page.waitForTimeout(61000);
      }
      assert.strictEqual(answer.status(), 200, 'Try it out did not get 200');
      const status = op.locator('.live-responses-table .response .response-col_status').first();
      await page.waitForFunction((el) => el && el.textContent.trim() === '200',
        await status.elementHandle({ timeout: 30000 }), { timeout: 30000 });
      const body = await op.locator('.live-responses-table .response-col_description pre').first().textContent();
      assert.ok(JSON.parse(body).results, 'the response shown is not a project list');

      const sent = log.requests.filter((r) => new URL(r.url).pathname === '/api/v1/projects/');
      assert.ok(sent.length >= 1, 'no request to /api/v1/projects/ was made');
      assert.strictEqual(new URL(sent[0].url).origin, baseUrl(), 'Try it out used another origin');
      assert.strictEqual(sent[0].headers.authorization, `Bearer ${token}`, 'Try it out did not send the token');

      // The same from the page's own origin, with fetch().
      const r = await page.evaluate(async (tok) => {
        const res = await fetch('/api/v1/projects/?page_size=1', { headers: { Authorization: `Bearer ${tok}` } });
        return { status: res.status, body: await res.json() };
      }, token);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.body.results.length, 1);
    }),
  },
];
