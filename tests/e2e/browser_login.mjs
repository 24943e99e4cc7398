// browser_login.mjs: the sidecar end to end, as a user and an API client see it: headless
// Chromium logs in through the local OpenID Provider, and Node's fetch calls the API with
// client-credentials JWTs. Run by tests/e2e/run_browser_e2e.sh, which starts the servers:
//
//   node tests/e2e/browser_login.mjs --sidecar http://127.0.0.1:S --provider http://localhost:P
//
// The upstream is the demo's site served by a Python http.server that answers any path that is
// not a file with what it received, {path, query, headers}: JSON, or for a browser an HTML page
// whose #echo holds that JSON.
// Prints one line per check, "ok NAME" or "FAIL NAME: why", then "e2e: N passed, M failed";
// exit 0 only when all passed.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect, parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: { sidecar: { type: 'string' }, provider: { type: 'string' } },
  strict: true,
});
if (!args.sidecar || !args.provider) {
  console.error('usage: node tests/e2e/browser_login.mjs --sidecar URL --provider URL');
  process.exit(2);
}
const SIDECAR = args.sidecar;
const PROVIDER = args.provider;
const SITE = new URL('../../examples/demo/site/', import.meta.url);
const USER = 'e2e-alice';
// Flags from NOTES.md: without the networking ones Chromium keeps
// trying to reach Google, which this machine refuses.
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${describe(error)}`);
  }
}

// describe ERROR: one line; an assertion's own message spans several.
function describe(error) {
  const firstLine = error.message.split('\n')[0];
  if (!(error instanceof assert.AssertionError) || error.generatedMessage === false) return firstLine;
  return `${firstLine.replace(/:$/, '')}: got ${inspect(error.actual)}, expected ${inspect(error.expected)}`;
}

function isLoopback(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

async function echoOf(page) {
  return JSON.parse(await page.locator('#echo').textContent({ timeout: 5000 }));
}

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString());
}

async function clientCredentialsToken(clientId, secret) {
  const response = await fetch(`${PROVIDER}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=api%3Aread',
  });
  const body = await response.json();
  assert.equal(response.status, 200, `token endpoint: ${JSON.stringify(body)}`);
  return body.access_token;
}

// getApi PATH TOKEN: the sidecar's answer to GET PATH with that Bearer token
// (none when TOKEN is undefined), never following redirects.
async function getApi(pathAndQuery, token) {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(`${SIDECAR}${pathAndQuery}`, { headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function assertStatus(answer, expected) {
  assert.equal(answer.status, expected,
    `status ${answer.status}, expected ${expected}; body: ${answer.body.slice(0, 200)}`);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'authgate-e2e-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: CHROMIUM_FLAGS,
  headless: true,
});
try {
  // The provider's pages import a web font; nothing leaves the machine.
  await context.route('**/*', (route) => (isLoopback(route.request().url())
    ? route.continue() : route.abort()));
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(10000);
  const providerHits = [];
  page.on('request', (request) => {
    if (request.url().startsWith(`${PROVIDER}/`)) providerHits.push(request.url());
  });

  await check('login: /somewhere?x=1 redirects to the provider\'s login form', async () => {
    await page.goto(`${SIDECAR}/somewhere?x=1`);
    assert.ok(page.url().startsWith(`${PROVIDER}/`), `at ${page.url()}`);
    await page.locator('input[name="login"]').waitFor();
  });

  await check('login: sign-in and consent land on /somewhere?x=1 showing the upstream page', async () => {
    await page.fill('input[name="login"]', USER);
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
    // The consent page ("Authorize"), then the callback sends the browser back.
    await page.click('button[type="submit"]:has-text("Continue")');
    await page.waitForURL(`${SIDECAR}/somewhere?x=1`);
    const echo = await echoOf(page);
    assert.equal(echo.path, '/somewhere');
    assert.equal(echo.query, 'x=1');
  });

  await check('session route: upstream got x-authgate-sub and Authorization: Bearer', async () => {
    const { headers } = await echoOf(page);
    assert.equal(headers['x-authgate-sub'], USER);
    assert.match(headers.authorization ?? '(none)', /^Bearer \S+$/);
    assert.ok(!(headers.cookie ?? '').includes('authgate_'), 'authgate cookies reached the upstream');
  });

  await check('reload: same page, no new login (no request to the provider)', async () => {
    providerHits.length = 0;
    await page.reload();
    assert.equal(page.url(), `${SIDECAR}/somewhere?x=1`);
    assert.equal((await echoOf(page)).query, 'x=1');
    await page.goto(`${SIDECAR}/`);
    await page.locator('h1', { hasText: 'Hello, world!' }).waitFor();
    assert.deepEqual(providerHits, []);
  });

  await check('signout: the provider signs out and returns to /public/', async () => {
    await page.goto(`${SIDECAR}/signout`);
    assert.ok(page.url().startsWith(`${PROVIDER}/`), `at ${page.url()}`);
    await page.click('button[value="yes"]');
    await page.waitForURL(`${SIDECAR}/public/`);
    await page.locator('h1', { hasText: 'A public page' }).waitFor();
    const sessionCookies = (await context.cookies(SIDECAR))
      .filter((cookie) => cookie.name.startsWith('authgate_session'));
    assert.deepEqual(sessionCookies.map((cookie) => cookie.name), []);
  });

  await check('after signout, / goes to the provider\'s login form again', async () => {
    providerHits.length = 0;
    await page.goto(`${SIDECAR}/`);
    assert.ok(page.url().startsWith(`${PROVIDER}/`), `at ${page.url()}`);
    await page.locator('input[name="login"]').waitFor();
    assert.notDeepEqual(providerHits, []);
  });
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

const apiHello = fs.readFileSync(new URL('api/hello', SITE), 'utf8');
let token;

await check('client credentials: the provider issues a JWT with typ at+jwt', async () => {
  token = await clientCredentialsToken('api-client', 'api-client-secret');
  const [header, payload] = token.split('.');
  assert.equal(decodeSegment(header).typ, 'at+jwt');
  assert.equal(decodeSegment(payload).scope, 'api:read');
});

await check('/api/hello without a token: 401 with WWW-Authenticate: Bearer', async () => {
  const answer = await getApi('/api/hello');
  assertStatus(answer, 401);
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /);
});

await check('/api/hello with the JWT: 200 and the upstream\'s content', async () => {
  const answer = await getApi('/api/hello', token);
  assertStatus(answer, 200);
  assert.equal(answer.body, apiHello);
});

await check('JWT route: upstream got x-authgate-sub of the client, not the token', async () => {
  const answer = await getApi('/api/echo?q=1', token);
  assertStatus(answer, 200);
  const echo = JSON.parse(answer.body);
  assert.equal(echo.headers['x-authgate-sub'], 'api-client');
  assert.equal(echo.headers.authorization, undefined, 'the Bearer token was forwarded');
});

await check('tampered JWT (payload changed, signature kept): 401', async () => {
  const [header, payload, signature] = token.split('.');
  const claims = { ...decodeSegment(payload), sub: 'admin' };
  const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  const answer = await getApi('/api/hello', tampered);
  assertStatus(answer, 401);
  assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
});

await check('JWT without scope api:read (api-client-noscope): 403', async () => {
  const noScope = await clientCredentialsToken('api-client-noscope', 'api-client-noscope-secret');
  assert.equal(decodeSegment(noScope.split('.')[1]).scope, undefined);
  const answer = await getApi('/api/hello', noScope);
  assertStatus(answer, 403);
});

await check('/public/ needs nothing: 200 without cookie or token', async () => {
  const answer = await getApi('/public/');
  assertStatus(answer, 200);
  assert.equal(answer.body, fs.readFileSync(new URL('public/index.html', SITE), 'utf8'));
});

console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
