/*
 * The schema itself: a valid OpenAPI 3.0 document, and the same routes,
 * methods, authentication, query parameters and body fields as the code
 * (conf/routes.conf, conf/api.conf, src/handlers/*.c), so neither can
 * drift from the other.
 */

'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const SwaggerParser = require('@apidevtools/swagger-parser');

const { ROOT, readRepo, loadSchema, operations, deref, Conformance, request } = require('./lib');

const SKIPPED_ROUTES = {
  '^/api/static/[a-z0-9._-]+$': 'the files Swagger UI and ReDoc load',
  '^/.*$': 'the catch-all JSON 404',
};

/* ------------------------------------------------------ the code side */

/* route lines of conf/routes.conf: {pattern, handler, auth} */
function routes() {
  const out = [];
  for (const line of readRepo('conf/routes.conf').split('\n')) {
    const m = line.match(/^route\s+(\S+)\s+(\S+)(?:\s+(\S+))?\s*$/);
    if (m) out.push({ pattern: m[1], handler: m[2], auth: m[3] || null });
  }
  return out;
}

/* ^/api/v1/projects/[0-9]+/?$ -> /api/v1/projects/{id}/ */
function templateOf(pattern) {
  let t = pattern.replace(/^\^/, '').replace(/\$$/, '');
  t = t.replace(/\/\?$/, '/');
  t = t.replace(/\[0-9\]\+/g, '{id}');
  if (/[\\[\]()*+?|^$]/.test(t)) throw new Error(`cannot turn route ${pattern} into a path`);
  return t;
}

/* params qs:get PATTERN { validate NAME VALIDATOR ... } blocks */
function paramsBlocks() {
  const out = [];
  const re = /^params\s+qs:get\s+(\S+)\s*\{([^}]*)\}/gm;
  const text = readRepo('conf/routes.conf');
  let m;
  while ((m = re.exec(text)) !== null) {
    const params = {};
    for (const v of m[2].matchAll(/validate\s+(\S+)\s+(\S+)/g)) params[v[1]] = v[2];
    out.push({ pattern: m[1], params });
  }
  return out;
}

/* validator NAME regex RE lines of conf/api.conf */
/*
 * conf/api.conf's validators as regexes. A function validator of a value
 * list (src/input.c: input_check_* over src/core/values.c, where the
 * lists are declared once) reads as the regex it stands for.
 */
function validators() {
  const out = {};
  const input = readRepo('src/input.c');
  const values = readRepo('src/core/values.c');
  for (const line of readRepo('conf/api.conf').split('\n')) {
    let m = line.match(/^validator\s+(\S+)\s+regex\s+(\S+)\s*$/);
    if (m) out[m[1]] = m[2];
    m = line.match(/^validator\s+(\S+)\s+function\s+(input_check_\w+)\s*$/);
    if (!m) continue;
    const body = (input.match(new RegExp(`^${m[2]}\\([^)]*\\)\\n\\{([\\s\\S]*?)\\n\\}`, 'm')) || [])[1];
    const use = body && body.match(/values_(contains|ordering_valid)\((values_\w+)/);
    if (!use) throw new Error(`src/input.c: cannot tell the list ${m[2]} checks`);
    const list = values.match(new RegExp(`const char \\*const ${use[2]}\\[\\]\\s*=\\s*\\{([^}]*)\\}`));
    if (!list) throw new Error(`src/core/values.c: no ${use[2]}`);
    const words = [...list[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
    out[m[1]] = `^${use[1] === 'ordering_valid' ? '-?' : ''}(${words.join('|')})$`;
  }
  return out;
}

function handlerSources() {
  const dir = path.join(ROOT, 'src/handlers');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => ({
    file: `src/handlers/${f}`, text: fs.readFileSync(path.join(dir, f), 'utf8'),
  }));
}

/* The body of a C function written in the project's style (name at column 0). */
function functionBody(text, name) {
  const m = text.match(new RegExp(`^${name}\\(struct http_request \\*req\\)\\n\\{([\\s\\S]*?)\\n\\}`, 'm'));
  return m ? m[1] : null;
}

function arrayInit(text, decl) {
  const m = text.match(new RegExp(`${decl}\\s*=\\s*\\{([\\s\\S]*?)\\n\\};`));
  return m ? m[1] : null;
}

/*
 * The methods a handler allows: its route table's HTTP_METHOD_* entries
 * (the POST() shorthand in tokens.c), and for each whether it takes a
 * JSON body (API_F_BODY). The docs handlers answer GET (and HEAD) only.
 */
function handlerMethods(handler) {
  for (const src of handlerSources()) {
    const bodyText = functionBody(src.text, handler);
    if (bodyText === null) continue;
    if (/docs_send\(/.test(bodyText)) return { file: src.file, methods: { get: { body: false } } };
    const r = bodyText.match(/dispatch_route\(req,\s*&(\w+)\)/);
    if (!r) throw new Error(`${src.file}: cannot tell the methods of ${handler}`);
    const route = src.text.match(new RegExp(`static const struct api_route ${r[1]}\\s*=\\s*\\{\\s*(?:\\w+|\\{[^}]*\\}),\\s*(\\w+),\\s*(\\d+)(?:,\\s*&?\\w+)?\\s*\\}`));
    if (!route) throw new Error(`${src.file}: cannot find route table ${r[1]}`);
    const init = arrayInit(src.text, `static const struct api_method ${route[1]}\\[\\]`);
    if (init === null) throw new Error(`${src.file}: cannot find ${route[1]}`);
    const methods = {};
    for (const e of init.matchAll(/\{\s*HTTP_METHOD_(\w+),\s*\w+,\s*(\w+)|\bPOST\(/g)) {
      if (e[0].startsWith('POST(')) methods.post = { body: true };
      else methods[e[1].toLowerCase()] = { body: /API_F_BODY/.test(e[2]) };
    }
    assert.strictEqual(Object.keys(methods).length, Number(route[2]),
      `${src.file}: ${route[1]} has ${Object.keys(methods).length} methods but the route says ${route[2]}`);
    return { file: src.file, methods };
  }
  throw new Error(`no handler function ${handler} in src/handlers/`);
}

/* static const struct field_rule NAME[] = { { "f", FIELD_X, FLAGS, max, choices }, ... } */
function fieldRules(file, name) {
  const text = readRepo(file);
  const init = arrayInit(text, `static const struct field_rule ${name}\\[\\]`);
  if (init === null) throw new Error(`${file}: no field rules ${name}`);
  const rules = [];
  for (const m of init.matchAll(/\{\s*"(\w+)",\s*(FIELD_\w+),\s*([\w| ]+?),\s*([\w* ()]+?),\s*(\w+)\s*\}/g)) {
    let choices = null;
    if (m[5] !== 'NULL') {
      // The value lists are declared once, in src/core/values.c.
      const c = (readRepo('src/core/values.c').match(new RegExp(`const char \\*const ${m[5]}\\[\\]\\s*=\\s*\\{([^}]*)\\}`)) || [])[1];
      if (!c) throw new Error(`${file}: no choices ${m[5]}`);
      choices = [...c.matchAll(/"([^"]+)"/g)].map((x) => x[1]);
    }
    let max = m[4].trim();
    if (/^\d+$/.test(max)) max = Number(max);
    rules.push({
      name: m[1], type: m[2], flags: m[3].split('|').map((s) => s.trim()).filter((s) => s !== '0'),
      max, choices,
    });
  }
  if (!rules.length) throw new Error(`${file}: could not read ${name}`);
  return rules;
}

/* ------------------------------------------------------------- tests */

const doc = loadSchema();

function params(op, item) {
  const list = [].concat(item.parameters || [], op.parameters || []).map((p) => deref(doc, p));
  return list;
}

module.exports = [
  {
    name: 'schema is a valid OpenAPI 3.0 document (swagger-parser validate)',
    fn: async () => {
      assert.strictEqual(doc.openapi, '3.0.3');
      // validate() dereferences in place: give it a copy.
      await SwaggerParser.validate(JSON.parse(JSON.stringify(doc)));
      assert.deepStrictEqual(doc.servers.map((s) => s.url), ['/'], 'server URL must be relative "/"');
      const ids = operations(doc).map((o) => o.op.operationId);
      assert.strictEqual(new Set(ids).size, ids.length, 'operationIds are not unique');
      for (const o of operations(doc)) {
        assert.ok(o.op.summary, `${o.method.toUpperCase()} ${o.path} has no summary`);
        assert.ok(o.op.tags && o.op.tags.length, `${o.method.toUpperCase()} ${o.path} has no tag`);
      }
      const paths = Object.keys(doc.paths);
      // RFC 8615 names fix their own form: the JWK set has no slash.
      for (const p of paths) assert.ok(p.endsWith('/') || p === '/.well-known/jwks.json', `${p}: document the trailing-slash form`);
    },
  },
  {
    name: 'GET /api/schema/ serves assets/openapi.json',
    fn: async () => {
      const res = await request('GET', '/api/schema/');
      assert.strictEqual(res.status, 200);
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.deepStrictEqual(res.json, doc, 'the served schema differs from assets/openapi.json (rebuild the module)');
      const noslash = await request('GET', '/api/schema');
      assert.strictEqual(noslash.status, 200);
      assert.strictEqual(noslash.text, res.text);
    },
  },
  {
    name: 'every route of conf/routes.conf is in the schema and every schema path is routed',
    fn: async () => {
      const routed = new Map();
      const skipped = [];
      for (const r of routes()) {
        if (SKIPPED_ROUTES[r.pattern]) { skipped.push(r.pattern); continue; }
        const t = templateOf(r.pattern);
        const re = new RegExp(r.pattern);
        assert.ok(re.test(t.replace(/\{id\}/g, '42')), `${r.pattern} does not match ${t}`);
        assert.ok(re.test(t.replace(/\{id\}/g, '42').replace(/\/$/, '')), `${r.pattern} does not match ${t} without its slash`);
        assert.ok(!routed.has(t), `two routes for ${t}`);
        routed.set(t, r);
      }
      assert.deepStrictEqual(skipped.sort(), Object.keys(SKIPPED_ROUTES).sort(), 'the routes left out of the schema changed');
      const documented = Object.keys(doc.paths);
      const missing = [...routed.keys()].filter((t) => !documented.includes(t));
      const unrouted = documented.filter((t) => !routed.has(t));
      assert.deepStrictEqual(missing, [], `routes not in the schema: ${missing.join(', ')}`);
      assert.deepStrictEqual(unrouted, [], `schema paths with no route: ${unrouted.join(', ')}`);
    },
  },
  {
    name: 'each route\'s methods, request bodies and authentication match its handler',
    fn: async () => {
      for (const r of routes()) {
        if (SKIPPED_ROUTES[r.pattern]) continue;
        const t = templateOf(r.pattern);
        const item = doc.paths[t];
        const h = handlerMethods(r.handler);
        const documented = Object.keys(item).filter((k) => k !== 'parameters' && k !== 'summary' && k !== 'description');
        assert.deepStrictEqual(documented.sort(), Object.keys(h.methods).sort(),
          `${t}: the schema documents ${documented} but ${h.file} (${r.handler}) allows ${Object.keys(h.methods)}`);
        for (const [m, info] of Object.entries(h.methods)) {
          const op = item[m];
          assert.strictEqual(Boolean(op.requestBody), info.body,
            `${m.toUpperCase()} ${t}: ${info.body ? 'takes a JSON body: document it' : 'takes no body'}`);
          const security = op.security === undefined ? doc.security : op.security;
          const bearer = security.length > 0;
          assert.strictEqual(bearer, r.auth === 'bearer',
            `${m.toUpperCase()} ${t}: routes.conf says auth ${r.auth || 'none'}, schema says ${bearer ? 'bearer' : 'public'}`);
          if (bearer) {
            assert.deepStrictEqual(security, [{ bearerAuth: [] }]);
            for (const s of ['401', '403', '429', '503']) assert.ok(op.responses[s], `${m.toUpperCase()} ${t}: no ${s}`);
          }
          if (info.body) {
            for (const s of ['400', '413', '415']) assert.ok(op.responses[s], `${m.toUpperCase()} ${t}: no ${s}`);
          }
        }
      }
      const scheme = doc.components.securitySchemes.bearerAuth;
      assert.deepStrictEqual([scheme.type, scheme.scheme, scheme.bearerFormat], ['http', 'bearer', 'JWT']);
    },
  },
  {
    name: 'query parameters and their enums and bounds match conf/routes.conf, conf/api.conf and src/core/values.c',
    fn: async () => {
      const vals = validators();
      const blocks = paramsBlocks();
      assert.ok(blocks.length >= 5);
      const withParams = new Set();
      for (const b of blocks) {
        const t = templateOf(b.pattern);
        withParams.add(t);
        const item = doc.paths[t];
        assert.ok(item && item.get, `params block for ${b.pattern}: no GET ${t} in the schema`);
        const qs = params(item.get, item).filter((p) => p.in === 'query');
        assert.deepStrictEqual(qs.map((p) => p.name).sort(), Object.keys(b.params).sort(), `GET ${t}: query parameters`);
        for (const p of qs) {
          const re = vals[b.params[p.name]];
          assert.ok(re, `validator ${b.params[p.name]} is not in conf/api.conf`);
          const where = `GET ${t} ?${p.name} (${b.params[p.name]} ${re})`;
          let m;
          if ((m = re.match(/^\^(-\?)?\(([\w|]+)\)\$$/))) {
            const words = m[2].split('|');
            const want = m[1] ? words.flatMap((w) => [w, '-' + w]) : words;
            assert.deepStrictEqual([...p.schema.enum].sort(), want.sort(), `${where}: enum`);
          } else if ((m = re.match(/^\^\.\{(\d+),(\d+)\}\$$/))) {
            assert.strictEqual(p.schema.type, 'string', where);
            assert.strictEqual(p.schema.minLength, Number(m[1]), `${where}: minLength`);
            assert.strictEqual(p.schema.maxLength, Number(m[2]), `${where}: maxLength`);
          } else if (/^\^\[1-9\]\[0-9\](\{0,\d+\}|\*)\$$/.test(re)) {
            assert.strictEqual(p.schema.type, 'integer', where);
            assert.strictEqual(p.schema.minimum, 1, `${where}: minimum`);
          } else if (p.name === 'page_size') {
            assert.strictEqual(p.schema.type, 'integer');
            assert.strictEqual(p.schema.minimum, 1);
            assert.strictEqual(p.schema.maximum, 100);
            assert.strictEqual(p.schema.default, 20);
            assert.match(p.description, /clamp/);
          } else {
            assert.fail(`${where}: no rule to compare this validator with the schema`);
          }
        }
      }
      // GETs with no params block take no query parameters.
      for (const o of require('./lib').operations(doc)) {
        if (o.method !== 'get' || withParams.has(o.path)) continue;
        const qs = params(o.op, o.item).filter((p) => p.in === 'query');
        assert.deepStrictEqual(qs, [], `GET ${o.path}: query parameters without a params block`);
      }
    },
  },
  {
    name: 'request body schemas match the handlers\' field rules (names, required, types, limits, null)',
    fn: async () => {
      const pairs = [
        ['src/handlers/projects.c', 'rules', 'ProjectRequest', 'PatchedProjectRequest'],
        ['src/handlers/tasks.c', 'rules', 'TaskRequest', 'PatchedTaskRequest'],
        ['src/handlers/documents.c', 'rules', 'DocumentRequest', 'PatchedDocumentRequest'],
        ['src/handlers/login.c', 'login_rules', 'LoginRequest', null],
        ['src/handlers/login.c', 'client_rules', 'ApiClientTokenRequest', null],
        ['src/handlers/tokens.c', 'refresh_rules', 'RefreshRequest', null],
        ['src/handlers/tokens.c', 'verify_rules', 'VerifyRequest', null],
      ];
      const types = {
        FIELD_STRING: 'string', FIELD_CHOICE: 'string', FIELD_DATE: 'string', FIELD_MIME: 'string',
        FIELD_PK: 'integer', FIELD_UINT64: 'integer', FIELD_OBJECT: 'object',
      };
      for (const [file, rulesName, full, patched] of pairs) {
        const rules = fieldRules(file, rulesName);
        for (const schemaName of [full, patched].filter(Boolean)) {
          const s = doc.components.schemas[schemaName];
          const where = `${schemaName} vs ${file} ${rulesName}`;
          const writable = Object.entries(s.properties).filter(([, p]) => !p.readOnly).map(([k]) => k);
          assert.deepStrictEqual(writable.sort(), rules.map((r) => r.name).sort(), `${where}: writable fields`);
          const required = rules.filter((r) => r.flags.includes('FIELD_REQUIRED')).map((r) => r.name);
          assert.deepStrictEqual((s.required || []).slice().sort(), schemaName === patched ? [] : required.sort(), `${where}: required`);
          for (const r of rules) {
            const p = s.properties[r.name];
            assert.strictEqual(p.type, types[r.type], `${where}: ${r.name} type`);
            assert.strictEqual(Boolean(p.nullable), r.flags.includes('FIELD_NULLABLE'), `${where}: ${r.name} nullable`);
            if (r.type === 'FIELD_DATE') assert.strictEqual(p.format, 'date', `${where}: ${r.name} format`);
            if (r.type === 'FIELD_PK') assert.strictEqual(p.minimum, 1, `${where}: ${r.name} minimum`);
            if (r.type === 'FIELD_UINT64') assert.strictEqual(p.minimum, 0, `${where}: ${r.name} minimum`);
            if (r.type === 'FIELD_CHOICE') assert.deepStrictEqual(p.enum, r.choices, `${where}: ${r.name} enum`);
            if (types[r.type] === 'string' && r.type !== 'FIELD_CHOICE' && r.type !== 'FIELD_DATE') {
              assert.strictEqual(p.maxLength, r.max === 0 ? undefined : r.max, `${where}: ${r.name} maxLength`);
              assert.strictEqual(p.minLength, r.flags.includes('FIELD_ALLOW_BLANK') ? undefined : (r.type === 'FIELD_MIME' ? 3 : 1),
                `${where}: ${r.name} minLength (blank ${r.flags.includes('FIELD_ALLOW_BLANK') ? 'allowed' : 'refused'})`);
            }
          }
        }
      }
      // The read-only fields of API.md are marked readOnly wherever they appear.
      const readOnly = ['id', 'created_at', 'updated_at', 'completed_at', 'tasks_count', 'project_name'];
      for (const [name, s] of Object.entries(doc.components.schemas)) {
        for (const f of readOnly) {
          if (s.properties && s.properties[f] && /Request$|^(Project|Task|TaskDetail|Document)$/.test(name)) {
            assert.strictEqual(s.properties[f].readOnly, true, `${name}.${f} must be readOnly`);
          }
        }
      }
    },
  },
  {
    name: 'every request body has an example that matches it; errors, 401, 429 and 503 are fully described',
    fn: async () => {
      const c = new Conformance(doc);
      for (const o of operations(doc)) {
        const where = `${o.method.toUpperCase()} ${o.path}`;
        if (o.op.requestBody) {
          const media = o.op.requestBody.content['application/json'];
          assert.ok(media, `${where}: request body is not application/json`);
          assert.ok(media.example !== undefined, `${where}: request body has no example`);
          // Request schemas admit unknown fields: check without closing them.
          const v = c.ajv.compile(JSON.parse(JSON.stringify(media.schema).replace(/"#\/components\/schemas\//g, '"openapi.json#/components/schemas/')));
          assert.ok(v(media.example), `${where}: example does not match: ${c.ajv.errorsText(v.errors)}`);
        }
        for (const [status, r] of Object.entries(o.op.responses)) {
          const resp = deref(doc, r);
          // 413 is the web server's own answer, before the body is read:
          // no body, no X-Request-ID (README, Known limits).
          if (status === '413') {
            assert.ok(!resp.content && !resp.headers, `${where} 413: the web server sends no body and no headers of ours`);
            continue;
          }
          assert.ok(resp.headers && resp.headers['X-Request-ID'], `${where} ${status}: X-Request-ID not documented`);
          if (Number(status) >= 400 && !(o.path === '/health/' && status === '503')) {
            assert.deepStrictEqual(resp.content['application/json'].schema, { $ref: '#/components/schemas/Error' }, `${where} ${status}: not the Error body`);
          }
          if (status === '401') assert.ok(deref(doc, resp.headers['WWW-Authenticate']).required, `${where} 401: WWW-Authenticate`);
          if (status === '429' || status === '503') assert.ok(deref(doc, resp.headers['Retry-After']).required, `${where} ${status}: Retry-After`);
        }
      }
      const err = doc.components.schemas.Error;
      assert.deepStrictEqual(Object.keys(err.properties).sort(), ['code', 'detail', 'errors']);
      assert.deepStrictEqual(err.required.sort(), ['code', 'detail']);
    },
  },
];
