/*
 * Real responses of the running server held to assets/openapi.json: every
 * status, body and header a request below gets must be documented for its
 * operation and match the documented schema exactly (no undocumented
 * fields: see closeObjects in lib.js).
 */

'use strict';

const assert = require('assert');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const { loadSchema, Conformance, operations, request, tenant, env } = require('./lib');

const doc = loadSchema();
const c = new Conformance(doc);
const run = crypto.randomBytes(4).toString('hex');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/*
 * A request whose response must conform; authed: it passed the auth hook.
 * The fixture tenants are shared with the other suites of the run: a
 * tenant rate limit 429 (documented, so checked too) is waited out and the
 * request sent again, unless opts.once.
 */
async function call(method, path, opts = {}) {
  for (let i = 0; ; i++) {
    const res = await request(method, path, opts);
    c.check(res, { authed: opts.authed !== undefined ? opts.authed : Boolean(opts.token) && res.status !== 401 });
    if (res.status !== 429 || !opts.token || opts.once || i === 2) return res;
    await sleep((Number(res.headers['retry-after']) + 1) * 1000);
  }
}

function expect(res, status, code) {
  assert.strictEqual(res.status, status, `${res.method} ${res.path}: expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  if (code) assert.strictEqual(res.json.code, code, `${res.method} ${res.path}: code`);
  return res;
}

function admin(args, input) {
  return execFileSync(env('MTAPI_TEST_ADMIN'), ['--env', env('MTAPI_ENV_FILE')].concat(args),
    { input: input || '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/*
 * Logins share the per-IP failure counter with every other suite of the
 * run: a documented 429 is waited out (Retry-After), then tried again.
 */
async function login(path, body) {
  for (let i = 0; i < 3; i++) {
    const res = await call('POST', path, { body });
    if (res.status !== 429) return res;
    await sleep((Number(res.headers['retry-after']) + 1) * 1000);
  }
  throw new Error(`${path}: still throttled`);
}

const acme = () => tenant('acme');

module.exports = [
  {
    name: 'API: health, liveness, schema and documentation pages conform',
    fn: async () => {
      for (const p of ['/health/', '/health/live/', '/api/schema/', '/api/docs/', '/api/redoc/']) {
        expect(await call('GET', p), 200);
        expect(await call('GET', p.replace(/\/$/, ''), { template: p }), 200);
      }
      const h = await call('GET', '/health/');
      assert.deepStrictEqual(h.json, { status: 'healthy', database: 'ok' });
      assert.deepStrictEqual((await call('GET', '/health/live/')).json, { status: 'alive' });
      assert.match((await call('GET', '/api/docs/')).headers['content-type'], /^text\/html/);
      const rid = `docs-${run}`;
      const echoed = await call('GET', '/health/live/', { headers: { 'X-Request-ID': rid } });
      assert.strictEqual(echoed.headers['x-request-id'], rid);
    },
  },
  {
    name: 'API: the JWK set conforms (HS256: no public key)',
    fn: async () => {
      const res = expect(await call('GET', '/.well-known/jwks.json'), 200);
      assert.deepStrictEqual(res.json, { keys: [] });
      assert.match(res.headers['cache-control'], /max-age=\d+/);
    },
  },
  {
    name: 'API: user login, refresh, verify, revoke and reuse detection conform',
    fn: async () => {
      const a = acme();
      const ok = expect(await login('/api/v1/auth/token/', { username: a.username, password: a.password }), 200);
      assert.strictEqual(ok.headers['cache-control'], 'no-store');
      assert.strictEqual(ok.json.tenant.slug, 'acme');
      assert.strictEqual(ok.json.tenant.id, a.id);
      assert.strictEqual(ok.json.token_type, 'Bearer');
      const sel = expect(await login('/api/v1/auth/token/', { username: a.username, password: a.password, tenant: 'acme' }), 200);
      expect(await login('/api/v1/auth/token/', { username: a.username, password: a.password, tenant: a.id }), 200);

      const bad = expect(await login('/api/v1/auth/token/', { username: a.username, password: 'wrong password' }), 401, 'authentication_failed');
      assert.strictEqual(bad.headers['www-authenticate'], 'Bearer realm="api"');
      const missing = expect(await call('POST', '/api/v1/auth/token/', { body: {} }), 400, 'invalid');
      assert.deepStrictEqual(Object.keys(missing.json.errors).sort(), ['password', 'username']);
      expect(await call('POST', '/api/v1/auth/token/', { body: '{"username": ' }), 400, 'parse_error');
      expect(await call('POST', '/api/v1/auth/token/', { body: 'username=x', headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');

      const fresh = expect(await call('POST', '/api/v1/auth/token/refresh/', { body: { refresh: ok.json.refresh } }), 200);
      assert.strictEqual(fresh.json.tenant, undefined);
      expect(await call('POST', '/api/v1/auth/token/verify/', { body: { token: fresh.json.access } }), 200);
      const v = expect(await call('POST', '/api/v1/auth/token/verify/', { body: { token: fresh.json.refresh } }), 200);
      assert.deepStrictEqual(v.json, {});
      expect(await call('POST', '/api/v1/auth/token/verify/', { body: { token: 'not.a.token' } }), 401, 'token_not_valid');
      expect(await call('POST', '/api/v1/auth/token/verify/', { body: {} }), 400, 'invalid');
      expect(await call('GET', '/api/v1/projects/', { token: fresh.json.access }), 200);

      // The spent refresh token again: the whole login is revoked.
      expect(await call('POST', '/api/v1/auth/token/refresh/', { body: { refresh: ok.json.refresh } }), 401, 'token_not_valid');
      expect(await call('POST', '/api/v1/auth/token/refresh/', { body: { refresh: fresh.json.refresh } }), 401, 'token_not_valid');
      expect(await call('GET', '/api/v1/projects/', { token: fresh.json.access, authed: true }), 401, 'token_not_valid');
      expect(await call('POST', '/api/v1/auth/token/verify/', { body: { token: fresh.json.access } }), 401);

      // Logout.
      expect(await call('POST', '/api/v1/auth/token/revoke/', { body: { refresh: sel.json.refresh } }), 204);
      expect(await call('POST', '/api/v1/auth/token/refresh/', { body: { refresh: sel.json.refresh } }), 401);
      expect(await call('POST', '/api/v1/auth/token/revoke/', { body: { refresh: 'x' } }), 401);
      // An access token is not a refresh token.
      expect(await call('POST', '/api/v1/auth/token/refresh/', { body: { refresh: a.access_token } }), 401);
    },
  },
  {
    name: 'API: a user of several tenants must name one (400 errors.tenant)',
    fn: async () => {
      const username = `docs-multi-${run}`;
      const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
      admin(['create-user', '--username', username], password + '\n');
      admin(['add-member', '--user', username, '--tenant', 'acme']);
      admin(['add-member', '--user', username, '--tenant', 'globex']);
      const r = expect(await login('/api/v1/auth/token/', { username, password }), 400, 'invalid');
      assert.deepStrictEqual(Object.keys(r.json.errors), ['tenant']);
      const g = expect(await login('/api/v1/auth/token/', { username, password, tenant: 'globex' }), 200);
      assert.strictEqual(g.json.tenant.slug, 'globex');
    },
  },
  {
    name: 'API: API client login, refresh and scopes conform',
    fn: async () => {
      const a = acme();
      const full = a.api_clients.find((x) => x.name === 'full');
      const ro = a.api_clients.find((x) => x.name === 'readonly');
      const t = expect(await login('/api/v1/auth/api-client/token/', { client_id: full.client_id, client_secret: full.client_secret }), 200);
      assert.deepStrictEqual(t.json.scopes, full.scopes);
      assert.deepStrictEqual(t.json.roles, full.roles);
      assert.strictEqual(t.headers['cache-control'], 'no-store');
      const list = expect(await call('GET', '/api/v1/projects/?page_size=1', { token: t.json.access }), 200);
      assert.ok(Number(list.headers['x-ratelimit-limit']) >= 1);

      const r = expect(await login('/api/v1/auth/api-client/token/', { client_id: ro.client_id, client_secret: ro.client_secret }), 200);
      expect(await call('GET', '/api/v1/documents/', { token: r.json.access }), 200);
      expect(await call('POST', '/api/v1/projects/', { token: r.json.access, body: { name: `ro-${run}` } }), 403, 'permission_denied');

      const n = expect(await call('POST', '/api/v1/auth/api-client/token/refresh/', { body: { refresh: t.json.refresh } }), 200);
      assert.strictEqual(n.json.scopes, undefined);
      expect(await call('GET', '/api/v1/tasks/?page_size=1', { token: n.json.access }), 200);
      // A user's refresh token is not an API client's.
      const u = expect(await login('/api/v1/auth/token/', { username: a.username, password: a.password }), 200);
      expect(await call('POST', '/api/v1/auth/api-client/token/refresh/', { body: { refresh: u.json.refresh } }), 401, 'token_not_valid');
      expect(await call('POST', '/api/v1/auth/token/refresh/', { body: { refresh: n.json.refresh } }), 401, 'token_not_valid');

      expect(await login('/api/v1/auth/api-client/token/', { client_id: full.client_id, client_secret: 'wrong' }), 401, 'authentication_failed');
      expect(await call('POST', '/api/v1/auth/api-client/token/', { body: { client_id: full.client_id } }), 400, 'invalid');
      expect(await call('POST', '/api/v1/auth/token/revoke/', { body: { refresh: n.json.refresh } }), 204);
    },
  },
  {
    name: 'API: projects list, filters, create, retrieve, update, delete, tasks and statistics conform',
    fn: async () => {
      const token = acme().access_token;
      const l = expect(await call('GET', '/api/v1/projects/', { token }), 200);
      assert.ok(l.json.count >= 1);
      expect(await call('GET', '/api/v1/projects', { token, template: '/api/v1/projects/' }), 200);
      expect(await call('GET', '/api/v1/projects/?status=active&search=a&ordering=status', { token }), 200);
      const p2 = expect(await call('GET', '/api/v1/projects/?page_size=1&page=2&ordering=-name', { token }), 200);
      assert.ok(p2.json.previous && p2.json.previous.startsWith('http'));
      assert.strictEqual(p2.json.results.length, 1);
      const clamped = expect(await call('GET', '/api/v1/projects/?page_size=1000', { token }), 200);
      assert.ok(clamped.json.results.length <= 100);
      const dflt = expect(await call('GET', '/api/v1/projects/?page_size=abc', { token }), 200);
      assert.ok(dflt.json.results.length <= 20);
      for (const q of ['ordering=bogus', 'page=0', 'page=abc', 'status=done', `search=${'x'.repeat(256)}`]) {
        const r = expect(await call('GET', `/api/v1/projects/?${q}`, { token }), 400, 'invalid');
        assert.deepStrictEqual(Object.keys(r.json.errors), [q.split('=')[0]]);
      }
      expect(await call('GET', '/api/v1/projects/?page=99999', { token }), 404, 'not_found');

      const name = `Docs project ${run}`;
      const created = expect(await call('POST', '/api/v1/projects/', {
        token, body: { name, description: 'made by tests/docs', id: 987654321, tasks_count: 50, created_at: '2000-01-01T00:00:00Z', tenant: 'x' },
      }), 201);
      const id = created.json.id;
      assert.notStrictEqual(id, 987654321);
      assert.strictEqual(created.json.tasks_count, 0);
      assert.strictEqual(created.json.status, 'active');
      assert.notStrictEqual(created.json.created_at, '2000-01-01T00:00:00Z');
      const dup = expect(await call('POST', '/api/v1/projects/', { token, body: { name } }), 400, 'invalid');
      assert.ok(dup.json.errors.name);
      expect(await call('POST', '/api/v1/projects/', { token, body: { status: 'nope' } }), 400, 'invalid');
      expect(await call('POST', '/api/v1/projects/', { token, body: '[1,2]' }), 400, 'invalid');
      expect(await call('POST', '/api/v1/projects/', { token, body: '{"name": "x", "name": "y"}' }), 400, 'parse_error');
      expect(await call('POST', '/api/v1/projects/', { token, body: 'name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415);
      // Over MAX_BODY_BYTES: the web server's own 413 before the body is
      // read (no body, no X-Request-ID), held to its description only.
      const big = await request('POST', '/api/v1/projects/', { token, body: JSON.stringify({ name: 'big', description: 'x'.repeat(1100000) }) });
      assert.strictEqual(big.status, 413, `oversized body: ${big.status} ${big.text.slice(0, 200)}`);
      assert.strictEqual(big.text, '');
      assert.ok(doc.paths['/api/v1/projects/'].post.responses['413']);

      const got = expect(await call('GET', `/api/v1/projects/${id}/`, { token }), 200);
      assert.deepStrictEqual(got.json, created.json);
      expect(await call('GET', `/api/v1/projects/${id}`, { token }), 200);
      const put = expect(await call('PUT', `/api/v1/projects/${id}/`, { token, body: { name: `${name} (renamed)`, status: 'completed' } }), 200);
      assert.strictEqual(put.json.description, 'made by tests/docs');
      expect(await call('PUT', `/api/v1/projects/${id}/`, { token, body: { status: 'active' } }), 400, 'invalid');
      const patch = expect(await call('PATCH', `/api/v1/projects/${id}/`, { token, body: { status: 'archived' } }), 200);
      assert.strictEqual(patch.json.name, `${name} (renamed)`);
      expect(await call('GET', `/api/v1/projects/${id}/tasks/`, { token }), 200);
      expect(await call('GET', `/api/v1/projects/${id}/tasks/?status=todo&priority=high&ordering=due_date&search=x`, { token }), 200);
      expect(await call('GET', `/api/v1/projects/${id}/tasks/?priority=urgent`, { token }), 400);
      const stats = expect(await call('GET', '/api/v1/projects/statistics/', { token }), 200);
      assert.ok(stats.json.archived_projects >= 1);

      // Another tenant's project does not exist here.
      const g = expect(await call('GET', '/api/v1/projects/?page_size=1', { token: tenant('globex').access_token }), 200);
      const other = g.json.results[0].id;
      expect(await call('GET', `/api/v1/projects/${other}/`, { token }), 404, 'not_found');
      expect(await call('PATCH', `/api/v1/projects/${other}/`, { token, body: { status: 'archived' } }), 404, 'not_found');
      expect(await call('GET', `/api/v1/projects/${other}/tasks/`, { token }), 404, 'not_found');
      expect(await call('GET', '/api/v1/projects/99999999999999999999/', { token }), 404, 'not_found');
      expect(await call('GET', '/api/v1/projects/0/', { token }), 404, 'not_found');

      expect(await call('DELETE', `/api/v1/projects/${id}/`, { token }), 204);
      expect(await call('GET', `/api/v1/projects/${id}/`, { token }), 404, 'not_found');
      expect(await call('DELETE', `/api/v1/projects/${id}/`, { token }), 404, 'not_found');
    },
  },
  {
    name: 'API: tasks list, filters, create, retrieve with project_details, update, complete, by-status, delete conform',
    fn: async () => {
      const token = acme().access_token;
      const project = expect(await call('POST', '/api/v1/projects/', { token, body: { name: `Docs tasks ${run}` } }), 201).json;
      const t = expect(await call('POST', '/api/v1/tasks/', {
        token, body: { project: project.id, title: `Docs task ${run}`, priority: 'high', due_date: '2026-02-01', completed_at: '2000-01-01T00:00:00Z', project_name: 'x' },
      }), 201).json;
      assert.strictEqual(t.project_name, project.name);
      assert.strictEqual(t.completed_at, null);
      assert.strictEqual(t.status, 'todo');
      const done = expect(await call('POST', '/api/v1/tasks/', { token, body: { project: String(project.id), title: 'Done already', status: 'done', due_date: null } }), 201).json;
      assert.ok(done.completed_at);
      assert.strictEqual(done.due_date, null);

      const detail = expect(await call('GET', `/api/v1/tasks/${t.id}/`, { token }), 200).json;
      assert.strictEqual(detail.project_details.id, project.id);
      assert.strictEqual(detail.project_details.tasks_count, 2);
      const put = expect(await call('PUT', `/api/v1/tasks/${t.id}/`, { token, body: { project: project.id, title: 'Renamed', status: 'in_progress' } }), 200).json;
      assert.strictEqual(put.priority, 'high');
      assert.strictEqual(put.project_details, undefined);
      expect(await call('PATCH', `/api/v1/tasks/${t.id}/`, { token, body: { due_date: '2026-02-30' } }), 400, 'invalid');
      expect(await call('PATCH', `/api/v1/tasks/${t.id}/`, { token, body: { due_date: null } }), 200);
      const c1 = expect(await call('POST', `/api/v1/tasks/${t.id}/complete/`, { token }), 200).json;
      assert.strictEqual(c1.status, 'done');
      const c2 = expect(await call('POST', `/api/v1/tasks/${t.id}/complete`, { token }), 200).json;
      assert.strictEqual(c2.completed_at, c1.completed_at);
      expect(await call('POST', '/api/v1/tasks/999999999999/complete/', { token }), 404, 'not_found');

      const byStatus = expect(await call('GET', '/api/v1/tasks/by-status/?status=done&page_size=100&ordering=-title', { token }), 200).json;
      assert.ok(byStatus.results.every((x) => x.status === 'done'));
      expect(await call('GET', '/api/v1/tasks/by-status/', { token }), 400, 'invalid');
      expect(await call('GET', '/api/v1/tasks/by-status/?status=blocked', { token }), 400, 'invalid');
      const mine = expect(await call('GET', `/api/v1/tasks/?project=${project.id}&status=done&priority=high&search=renamed&ordering=priority`, { token }), 200).json;
      assert.strictEqual(mine.count, 1);
      expect(await call('GET', '/api/v1/tasks/?project=99999999999999999999', { token }), 400, 'invalid');
      expect(await call('GET', '/api/v1/tasks/?project=abc', { token }), 400, 'invalid');

      // A project of another tenant: the same 400 as a missing one.
      const g = expect(await call('GET', '/api/v1/projects/?page_size=1', { token: tenant('globex').access_token }), 200);
      const foreign = expect(await call('POST', '/api/v1/tasks/', { token, body: { project: g.json.results[0].id, title: 'x' } }), 400, 'invalid');
      const missing = expect(await call('POST', '/api/v1/tasks/', { token, body: { project: 999999999999, title: 'x' } }), 400, 'invalid');
      assert.deepStrictEqual(Object.keys(foreign.json.errors), ['project']);
      assert.deepStrictEqual(Object.keys(missing.json.errors), ['project']);
      expect(await call('POST', '/api/v1/tasks/', { token, body: { project: project.id, title: '   ' } }), 400, 'invalid');

      expect(await call('DELETE', `/api/v1/tasks/${t.id}/`, { token }), 204);
      expect(await call('GET', `/api/v1/tasks/${t.id}/`, { token }), 404, 'not_found');
      expect(await call('DELETE', `/api/v1/projects/${project.id}/`, { token }), 204);
      expect(await call('GET', `/api/v1/tasks/${done.id}/`, { token }), 404, 'not_found');
    },
  },
  {
    name: 'API: documents list, filters, create, retrieve, update, delete conform',
    fn: async () => {
      const token = acme().access_token;
      const project = expect(await call('POST', '/api/v1/projects/', { token, body: { name: `Docs documents ${run}` } }), 201).json;
      const loose = expect(await call('POST', '/api/v1/documents/', {
        token, body: { name: 'No project', file_path: `docs/${run}/a.txt`, file_size: 0, content_type: 'text/plain' },
      }), 201).json;
      assert.strictEqual(loose.project, null);
      assert.strictEqual(loose.project_name, null);
      assert.deepStrictEqual(loose.metadata, {});
      const meta = { pages: 3, nested: { a: [1, 2, null], b: 'x' } };
      const d = expect(await call('POST', '/api/v1/documents/', {
        token, body: { project: project.id, name: `Spec ${run}`, file_path: `docs/${run}/spec.pdf`, file_size: 1234.0, content_type: 'application/pdf', metadata: meta },
      }), 201).json;
      assert.strictEqual(d.project_name, project.name);
      assert.deepStrictEqual(d.metadata, meta);
      assert.strictEqual(d.file_size, 1234);

      expect(await call('GET', `/api/v1/documents/${d.id}/`, { token }), 200);
      const list = expect(await call('GET', `/api/v1/documents/?project=${project.id}&content_type=application/pdf&search=spec&ordering=-file_size`, { token }), 200).json;
      assert.strictEqual(list.count, 1);
      expect(await call('GET', '/api/v1/documents/?ordering=title', { token }), 400, 'invalid');
      for (const bad of [{ file_size: -1 }, { content_type: 'pdf' }, { metadata: [] }, { metadata: null }, { project: 999999999999 }]) {
        const r = expect(await call('PATCH', `/api/v1/documents/${d.id}/`, { token, body: bad }), 400, 'invalid');
        assert.deepStrictEqual(Object.keys(r.json.errors), Object.keys(bad));
      }
      expect(await call('POST', '/api/v1/documents/', { token, body: { name: 'x' } }), 400, 'invalid');
      const put = expect(await call('PUT', `/api/v1/documents/${d.id}/`, {
        token, body: { name: 'Spec v2', file_path: `docs/${run}/spec-v2.pdf`, file_size: 2048, content_type: 'application/pdf' },
      }), 200).json;
      assert.deepStrictEqual(put.metadata, meta);
      assert.strictEqual(put.project, project.id);
      const patch = expect(await call('PATCH', `/api/v1/documents/${d.id}/`, { token, body: { project: null } }), 200).json;
      assert.strictEqual(patch.project_name, null);

      expect(await call('DELETE', `/api/v1/documents/${d.id}/`, { token }), 204);
      expect(await call('DELETE', `/api/v1/documents/${loose.id}/`, { token }), 204);
      expect(await call('GET', `/api/v1/documents/${d.id}/`, { token }), 404, 'not_found');
      expect(await call('DELETE', `/api/v1/projects/${project.id}/`, { token }), 204);
    },
  },
  {
    name: 'API: 401 without or with a bad token, 403 for an inactive tenant, 429 with Retry-After conform',
    fn: async () => {
      const no = expect(await call('GET', '/api/v1/projects/'), 401, 'not_authenticated');
      assert.strictEqual(no.headers['www-authenticate'], 'Bearer realm="api"');
      assert.strictEqual(no.headers['x-ratelimit-limit'], undefined);
      expect(await call('GET', '/api/v1/tasks/', { headers: { Authorization: 'Basic YTpi' } }), 401, 'not_authenticated');
      expect(await call('GET', '/api/v1/documents/', { token: 'abc.def.ghi' }), 401, 'token_not_valid');
      expect(await call('GET', '/api/v1/projects/statistics/', { token: acme().refresh_token }), 401, 'token_not_valid');
      expect(await call('DELETE', '/api/v1/projects/1/'), 401);
      expect(await call('POST', '/api/v1/tasks/1/complete/'), 401);

      const inactive = expect(await call('GET', '/api/v1/projects/', { token: tenant('umbrella').access_token }), 403, 'tenant_inactive');
      assert.ok(inactive.headers['x-ratelimit-limit']);

      // A tenant of its own with a limit of 2 requests a minute, and a service token.
      const slug = `docs-rl-${run}`;
      admin(['create-tenant', '--slug', slug, '--name', 'Docs rate limit', '--rate-limit', '2']);
      const token = admin(['create-service-token', '--tenant', slug, '--service', 'docs-tests', '--minutes', '5', '--scopes', 'read:projects']).trim();
      let throttled = null;
      for (let i = 0; i < 6 && !throttled; i++) {
        const r = await call('GET', '/api/v1/projects/', { token, once: true });
        if (r.status === 429) throttled = r;
        else expect(r, 200);
      }
      assert.ok(throttled, 'no 429 after 6 requests with a limit of 2 a minute');
      assert.strictEqual(throttled.json.code, 'throttled');
      assert.strictEqual(throttled.headers['x-ratelimit-remaining'], '0');
      assert.strictEqual(throttled.headers['x-ratelimit-limit'], '2');
      assert.ok(Number(throttled.headers['retry-after']) >= 1 && Number(throttled.headers['retry-after']) <= 60);
    },
  },
  {
    name: 'API: too many failed logins get 429 with Retry-After',
    fn: async () => {
      // Failures count per account at this IP (AUTH_FAILURES_PER_MINUTE_ACCOUNT, 10 by default).
      const username = `docs-nobody-${run}`;
      let throttled = null;
      for (let i = 0; i < 15 && !throttled; i++) {
        const r = await call('POST', '/api/v1/auth/token/', { body: { username, password: 'wrong password' } });
        if (r.status === 429) throttled = r;
        else expect(r, 401, 'authentication_failed');
      }
      assert.ok(throttled, 'no 429 after 15 failed logins');
      assert.strictEqual(throttled.json.code, 'throttled');
      assert.ok(Number(throttled.headers['retry-after']) >= 1);
      const other = tenant('acme').api_clients[0];
      let ct = null;
      for (let i = 0; i < 15 && !ct; i++) {
        const r = await call('POST', '/api/v1/auth/api-client/token/', { body: { client_id: `${other.client_id}-nope-${run}`, client_secret: 'x' } });
        if (r.status === 429) ct = r;
        else expect(r, 401, 'authentication_failed');
      }
      assert.ok(ct, 'no 429 after 15 failed API client logins');
    },
  },
  {
    name: 'API: every documented operation was exercised with a success status',
    fn: async () => {
      const missing = [];
      for (const o of operations(doc)) {
        const ok = Object.keys(o.op.responses).filter((s) => /^2/.test(s));
        const hit = ok.some((s) => c.seen.includes(`${o.method.toUpperCase()} ${o.path} ${s}`));
        if (!hit) missing.push(`${o.method.toUpperCase()} ${o.path}`);
      }
      assert.deepStrictEqual(missing, [], `not exercised: ${missing.join(', ')}`);
    },
  },
];
