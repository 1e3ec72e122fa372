/*
 * Shared pieces of the schema and browser tests: a tiny test runner, the
 * environment tools/dev/test.sh sets, HTTP requests to the running server,
 * and the checker that holds real responses to assets/openapi.json.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const assert = require('assert');

const Ajv = require('ajv');
const addFormats = require('ajv-formats');

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (tools/dev/test.sh sets it)`);
  return v;
}

const ROOT = process.env.MTAPI_TEST_ROOT || path.resolve(__dirname, '..', '..');

function readRepo(rel) {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

function loadSchema() {
  return JSON.parse(readRepo('assets/openapi.json'));
}

let fixtureCache = null;
function fixture() {
  if (!fixtureCache) fixtureCache = JSON.parse(fs.readFileSync(env('MTAPI_TEST_FIXTURE'), 'utf8'));
  return fixtureCache;
}

/* The fixture's tenants by slug: acme, globex, initech are active, umbrella is not. */
function tenant(slug) {
  const t = fixture().tenants.find((x) => x.slug === slug);
  if (!t) throw new Error(`fixture has no tenant ${slug}`);
  return t;
}

function baseUrl() {
  return env('MTAPI_TEST_BASE_URL').replace(/\/$/, '');
}

/*
 * One request. opts: token, body (object: sent as JSON; string: as is),
 * headers. Answers {status, headers (lower-case names), text, json}.
 */
async function request(method, urlPath, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  let body;
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string') {
      body = opts.body;
    } else {
      body = JSON.stringify(opts.body);
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(baseUrl() + urlPath, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  const h = {};
  res.headers.forEach((v, k) => { h[k.toLowerCase()] = v; });
  let parsed;
  try { parsed = text.length ? JSON.parse(text) : undefined; } catch (e) { parsed = undefined; }
  return { method, path: urlPath, status: res.status, headers: h, text, json: parsed };
}

/* ------------------------------------------------------------ runner */

const results = { passed: 0, failed: 0 };

async function runTests(list) {
  for (const t of list) {
    const started = Date.now();
    try {
      await t.fn();
      results.passed++;
      console.log(`ok    ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      results.failed++;
      console.log(`FAIL  ${t.name} (${Date.now() - started} ms)`);
      console.log(String(e && e.stack ? e.stack : e).split('\n').map((l) => '      ' + l).join('\n'));
    }
  }
}

/* ------------------------------------------------- schema conformance */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function deref(doc, obj) {
  let o = obj;
  const seen = new Set();
  while (o && o.$ref) {
    if (seen.has(o.$ref)) throw new Error(`$ref loop at ${o.$ref}`);
    seen.add(o.$ref);
    const parts = o.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    o = parts.reduce((acc, p) => (acc == null ? acc : acc[p]), doc);
    if (o === undefined) throw new Error(`unresolved $ref ${[...seen].pop()}`);
  }
  return o;
}

/*
 * For checking responses strictly: every object schema that lists
 * properties and says nothing about others admits no others, so a field
 * the server sends but the schema does not name is caught.
 */
function closeObjects(node) {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = (k === 'example' || k === 'examples' || k === 'default' || k === 'enum') ? v : closeObjects(v);
  }
  if (out.properties && out.additionalProperties === undefined && !out.allOf && !out.oneOf && !out.anyOf) {
    out.additionalProperties = false;
  }
  return out;
}

class Conformance {
  constructor(doc) {
    this.doc = doc;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
    this.ajv.addFormat('password', true);
    // The components, under a name the response schemas' $refs resolve in.
    this.ajv.addSchema({ $id: 'openapi.json', components: { schemas: closeObjects(doc.components.schemas) } });
    this.validators = new Map();
    this.seen = [];
    this.templates = Object.keys(doc.paths).map((t) => ({
      template: t,
      re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/]+\}/g, '[^/]+') + '$'),
    }));
  }

  validator(schema) {
    const key = JSON.stringify(schema);
    if (!this.validators.has(key)) {
      const rewritten = JSON.parse(key.replace(/"#\/components\/schemas\//g, '"openapi.json#/components/schemas/'));
      this.validators.set(key, this.ajv.compile(closeObjects(rewritten)));
    }
    return this.validators.get(key);
  }

  validate(schema, value, what) {
    const v = this.validator(schema);
    if (!v(value)) {
      throw new assert.AssertionError({
        message: `${what} does not match the schema: ${this.ajv.errorsText(v.errors, { separator: '; ' })}\n` +
          `value: ${JSON.stringify(value).slice(0, 600)}`,
      });
    }
  }

  templateOf(urlPath) {
    const p = urlPath.split('?')[0];
    const withSlash = p.endsWith('/') ? p : p + '/';
    // An exact path of its own (/.well-known/jwks.json) has no slash form.
    const hit = this.templates.find((t) => t.re.test(p)) || this.templates.find((t) => t.re.test(withSlash));
    if (!hit) throw new Error(`no schema path for ${urlPath}`);
    return hit.template;
  }

  /*
   * Hold one real response to the schema: its status must be documented
   * for the operation, its body must match that response's schema (or be
   * empty when none is given), and the headers the schema calls required
   * must be there. authed: the request passed the auth hook, so the
   * X-RateLimit-* headers must be there too.
   */
  check(res, opts = {}) {
    const template = opts.template || this.templateOf(res.path);
    const item = this.doc.paths[template];
    const op = item && item[res.method.toLowerCase()];
    const where = `${res.method} ${res.path} -> ${res.status}`;
    assert.ok(op, `${where}: the schema has no ${res.method} ${template}`);
    const declared = op.responses[String(res.status)];
    assert.ok(declared, `${where}: status ${res.status} is not documented for ${res.method} ${template} ` +
      `(documented: ${Object.keys(op.responses).join(', ')}); body: ${res.text.slice(0, 300)}`);
    const resp = deref(this.doc, declared);

    assert.ok(res.headers['x-request-id'], `${where}: no X-Request-ID`);
    for (const [name, h] of Object.entries(resp.headers || {})) {
      const hdr = deref(this.doc, h);
      const value = res.headers[name.toLowerCase()];
      if (hdr.required) assert.ok(value !== undefined, `${where}: required header ${name} missing`);
      if (value !== undefined && hdr.schema && hdr.schema.type === 'integer') {
        assert.match(value, /^[0-9]+$/, `${where}: header ${name} is not an integer: ${value}`);
        this.validate(hdr.schema, Number(value), `${where} header ${name}`);
      }
    }
    const bearer = op.security === undefined ? (this.doc.security || []).length > 0 : op.security.length > 0;
    if (bearer && opts.authed) {
      for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining']) {
        assert.ok(resp.headers && resp.headers[name], `${where}: ${name} is sent but not documented`);
        assert.ok(res.headers[name.toLowerCase()] !== undefined, `${where}: ${name} missing`);
      }
    }

    if (!resp.content) {
      assert.strictEqual(res.text, '', `${where}: the schema documents no body, the server sent one`);
    } else {
      const ctype = (res.headers['content-type'] || '').split(';')[0].trim();
      const media = resp.content[ctype];
      assert.ok(media, `${where}: content type ${ctype} is not documented (${Object.keys(resp.content).join(', ')})`);
      if (ctype === 'application/json') {
        assert.ok(res.json !== undefined, `${where}: the body is not JSON: ${res.text.slice(0, 200)}`);
        if (media.schema) this.validate(media.schema, res.json, where);
      }
    }
    this.seen.push(`${res.method} ${template} ${res.status}`);
    return res;
  }
}

/* Each operation of the schema, with its path and method. */
function operations(doc) {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (item[m]) out.push({ path: p, method: m, op: item[m], item });
    }
  }
  return out;
}

module.exports = {
  ROOT, readRepo, loadSchema, fixture, tenant, baseUrl, request, env,
  runTests, results, Conformance, operations, deref, METHODS, closeObjects,
};
