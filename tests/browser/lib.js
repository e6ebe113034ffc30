// Shared by the browser tests: headless Chromium through playwright-core,
// a watch on everything a page does that it must not (network requests,
// dialogs, script errors, CSP violations), an accessibility check on the
// accessibility tree, and screenshots into $XPORTA_SCREENSHOTS (copied to
// docs/screenshots/ by hand when the pages change).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.XPORTA_CHROMIUM || '/usr/bin/chromium';

let failures = 0;
function check(cond, what) {
  if (cond) return true;
  failures++;
  console.error('FAIL: ' + what);
  return false;
}
function done(name) {
  console.log(name + ': ' + (failures ? failures + ' failed' : 'ok'));
  process.exit(failures ? 1 : 0);
}

// Never `chromiumSandbox: true`: the tests may run as root
// (docs/research/serve.md, section 2).
async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

// A page whose requests other than `allowed` (a URL prefix), dialogs,
// uncaught errors and console errors (CSP reports come as those) are
// collected in page.problems.
async function watchedPage(context, allowed) {
  const page = await context.newPage();
  page.problems = [];
  page.on('request', r => {
    if (!r.url().startsWith(allowed)) page.problems.push('request ' + r.url());
  });
  page.on('dialog', d => { page.problems.push('dialog ' + d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', e => page.problems.push('error ' + e.message));
  page.on('console', m => { if (m.type() === 'error') page.problems.push('console ' + m.text()); });
  return page;
}

// The accessibility tree as YAML (locator.ariaSnapshot), checked for the
// given lines (each a substring: `heading "Title" [level=1]`), and every
// form field labelled.
async function checkAccessible(page, expected, what) {
  const tree = await page.locator('body').ariaSnapshot();
  for (const line of expected)
    check(tree.includes(line), `${what}: the accessibility tree lacks ${line}\n${tree}`);
  const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', els =>
    els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') &&
                    !e.getAttribute('aria-labelledby')).map(e => e.outerHTML));
  check(unlabelled.length === 0, `${what}: fields without a label: ${unlabelled.join(' ')}`);
  return tree;
}

// Nothing wider than the window (no horizontal scrolling).
async function checkNoOverflow(page, what) {
  const [sw, cw] = await page.evaluate(() =>
    [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  check(sw <= cw, `${what}: scrolls sideways (${sw} > ${cw} CSS pixels)`);
}

async function screenshot(page, name) {
  const dir = process.env.XPORTA_SCREENSHOTS;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name + '.png') });
}

module.exports = { launch, watchedPage, checkAccessible, checkNoOverflow, screenshot, check, done };
