// Browser test of the built site (run `npm run build` first): serves dist/
// on 127.0.0.1, opens the main pages in light and dark mode with Debian's
// Chromium through playwright-core, checks that every internal link (and its
// #anchor) resolves, fails on console errors and page errors, searches for a
// tool with Pagefind and follows the hit to its reference page. Screenshots
// go to test-results/. Exits non-zero on any failure.
import { createServer } from 'node:http';
import { readFile, stat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('..', import.meta.url));
const dist = join(here, 'dist');
const out = join(here, 'test-results');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const PAGES = [
  ['home', '/'],
  ['introduction', '/getting-started/introduction/'],
  ['quickstart', '/getting-started/quickstart/'],
  ['settings', '/configuration/settings/'],
  ['vcenter', '/configuration/vcenter/'],
  ['docker', '/deployment/docker/'],
  ['oauth', '/deployment/oauth/'],
  ['access-control', '/deployment/access-control/'],
  ['tools', '/reference/tools/'],
  ['tool-power_off', '/reference/tools/power_ops/power_off/'],
  ['permissions', '/reference/permissions/'],
  ['resources', '/reference/resources/'],
  ['architecture', '/reference/architecture/'],
  ['simulator', '/simulator/running/'],
  ['conformance', '/conformance/running/'],
];
const SEARCH_TOOL = process.env.SEARCH_TOOL ?? 'power_off';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
  '.xml': 'application/xml', '.txt': 'text/plain', '.woff2': 'font/woff2', '.wasm': 'application/wasm',
  '.pf_meta': 'application/octet-stream', '.pf_index': 'application/octet-stream',
  '.pf_fragment': 'application/octet-stream', '.pagefind': 'application/octet-stream',
};

/** A static file server over dist/: directories serve index.html, misses 404. */
function serve() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    let file = join(dist, path);
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const failures = [];
const fail = (msg) => { failures.push(msg); console.error(`FAIL ${msg}`); };

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
await mkdir(out, { recursive: true });
const profile = await mkdtemp(join(tmpdir(), 'mcvsphere-docs-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A page that records console errors, page errors and failed same-site requests. */
async function openPage(theme, label) {
  const page = await context.newPage();
  await page.addInitScript((t) => localStorage.setItem('starlight-theme', t), theme);
  page.on('console', (m) => { if (m.type() === 'error') fail(`${label} [${theme}] console error: ${m.text()}`); });
  page.on('pageerror', (e) => fail(`${label} [${theme}] page error: ${e.message}`));
  page.on('requestfailed', (r) => { if (r.url().startsWith(base)) fail(`${label} [${theme}] request failed: ${r.url()}`); });
  page.on('response', (r) => { if (r.url().startsWith(base) && r.status() >= 400) fail(`${label} [${theme}] ${r.status()} for ${r.url()}`); });
  return page;
}

const htmlCache = new Map();
async function fetchPage(url) {
  if (!htmlCache.has(url)) {
    const r = await fetch(url);
    htmlCache.set(url, { status: r.status, html: r.headers.get('content-type')?.includes('html') ? await r.text() : '' });
  }
  return htmlCache.get(url);
}

/** Every same-origin link on the page must answer 200, and its #anchor must exist. */
async function checkLinks(page, label) {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  let n = 0;
  for (const href of new Set(hrefs)) {
    const u = new URL(href);
    if (u.origin !== base) continue;
    n++;
    const target = `${u.origin}${u.pathname}`;
    const { status, html } = await fetchPage(target);
    if (status !== 200) { fail(`${label}: link ${u.pathname} answers ${status}`); continue; }
    if (u.hash.length > 1) {
      const id = decodeURIComponent(u.hash.slice(1));
      if (!html.includes(`id="${id}"`)) fail(`${label}: link ${u.pathname}${u.hash} has no such anchor`);
    }
  }
  return n;
}

let checkedLinks = 0;
for (const theme of ['light', 'dark']) {
  for (const [label, path] of PAGES) {
    const page = await openPage(theme, label);
    await page.goto(base + path, { waitUntil: 'networkidle' });
    const applied = await page.evaluate(() => document.documentElement.dataset.theme);
    if (applied !== theme) fail(`${label}: theme is ${applied}, wanted ${theme}`);
    const logo = await page.$('header .site-title img');
    if (!logo || !(await logo.isVisible())) fail(`${label} [${theme}]: the logo is not visible in the header`);
    if (theme === 'light') checkedLinks += await checkLinks(page, label);
    await page.screenshot({ path: join(out, `${label}-${theme}.png`), fullPage: label === 'home' });
    await page.close();
  }
}

// Search: open Pagefind's dialog, type a tool name, follow the first hit.
for (const theme of ['light', 'dark']) {
  const page = await openPage(theme, 'search');
  await page.goto(base + '/', { waitUntil: 'networkidle' });
  await page.click('button[data-open-modal]');
  const input = page.locator('#starlight__search .pagefind-ui__search-input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(SEARCH_TOOL);
  const hit = page.locator('#starlight__search .pagefind-ui__result-link', { hasText: SEARCH_TOOL }).first();
  try {
    await hit.waitFor({ state: 'visible', timeout: 15_000 });
    await page.screenshot({ path: join(out, `search-${theme}.png`) });
    await hit.click();
    await page.waitForLoadState('networkidle');
    const { pathname } = new URL(page.url());
    const h1 = await page.locator('main h1').first().textContent();
    if (!pathname.endsWith(`/${SEARCH_TOOL}/`) || h1?.trim() !== SEARCH_TOOL) {
      fail(`search [${theme}]: "${SEARCH_TOOL}" led to ${pathname} (h1 "${h1?.trim()}"), not its reference page`);
    }
    await page.screenshot({ path: join(out, `search-landed-${theme}.png`) });
  } catch (e) {
    await page.screenshot({ path: join(out, `search-${theme}-failed.png`) });
    fail(`search [${theme}]: no result for "${SEARCH_TOOL}" (${e.message.split('\n')[0]})`);
  }
  await page.close();
}

await context.close();
server.close();
await rm(profile, { recursive: true, force: true });
console.log(`browser test: ${PAGES.length} pages x 2 themes, ${checkedLinks} internal links checked, search for "${SEARCH_TOOL}"; screenshots in test-results/`);
if (failures.length) {
  console.error(`browser test: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log('browser test: ok');
