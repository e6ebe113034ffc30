// browser.history: `xporta history` pages opened from disk in Chromium.
// Usage: node history.test.js XPORTA DATA_DIR WORK_DIR
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { launch, watchedPage, checkAccessible, checkNoOverflow, screenshot, check, done } = require('./lib.js');

const [xporta, data, work] = process.argv.slice(2);
const out = path.join(work, 'history');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
execFileSync(xporta, ['history', '-q', path.join(data, 'history.xml'), '-o', out]);
const root = 'file://' + out + '/';

async function noProblems(page, what) {
  check(page.problems.length === 0, `${what}: ${page.problems.join('; ')}`);
  page.problems.length = 0;
}

(async () => {
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const page = await watchedPage(context, 'file://');

  // the index
  await page.goto(root + 'index.html');
  await checkAccessible(page, [
    'heading "Message history" [level=1]',
    'heading "juliet@capulet.example" [level=2]',
    'heading "Group chats on rooms.verona.example" [level=2]',
    'link "Romeo"', 'link "Nurse <b>"', 'link "Search messages"', 'contentinfo',
  ], 'index');
  await screenshot(page, 'history-index');
  // the keyboard reaches the contacts; Enter opens one
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.textContent === 'Romeo');
  }
  check(reached, 'Tab never reached the link "Romeo"');
  await Promise.all([page.waitForURL(/a1\/c3\.html$/), page.keyboard.press('Enter')]);
  await checkAccessible(page, ['heading "Romeo" [level=1]', 'heading "2026" [level=2]',
    'link "October 2026"', 'link "November 2026"', 'navigation "Breadcrumb"'], 'contact page');
  await noProblems(page, 'index and contact page');

  // a month: markup in messages is text, nothing of it runs or loads
  await page.goto(root + 'a1/c3-2026-10.html');
  check(await page.locator('#m3 p').textContent() ===
        '<img src=x onerror=alert(1)> and <script>alert(2)</script> stay text',
        'the markup of message 3 is not shown as text');
  check(await page.locator('img, iframe, object, embed').count() === 0, 'an element from a message exists');
  const scripts = await page.$$eval('script', s => s.map(e => e.getAttribute('src')));
  check(scripts.length === 1 && scripts[0] === '../history.js', 'scripts: ' + scripts);
  const link = page.locator('#m4 a');
  check(await link.getAttribute('href') === 'https://example.org/verona?a=1&b=', 'the link in message 4');
  check(/noopener/.test(await link.getAttribute('rel')) && /noreferrer/.test(await link.getAttribute('rel')),
        'the link in message 4 lacks rel=noopener noreferrer');
  check(await page.locator('#m4').textContent().then(t => t.includes('javascript:alert(3) is not a link')),
        'message 4 text');
  await checkAccessible(page, ['heading "Romeo, October 2026" [level=1]',
    'heading "Thursday 1 October 2026" [level=2]', 'navigation "Days"', 'navigation "Months"',
    'link "November 2026 →"', 'list', 'listitem', 'link "https://example.org/verona?a=1&b="'], 'month page');
  await screenshot(page, 'history-month');
  // the policy holds from file://: even markup put into the page by hand
  // loads nothing and runs no inline handler
  const csp = await page.evaluate(() => new Promise(res => {
    const seen = [];
    document.addEventListener('securitypolicyviolation', e => seen.push(e.effectiveDirective));
    document.body.insertAdjacentHTML('beforeend',
      '<img src="https://example.org/x.png" onerror="window.ran = 1"><p style="color:red">x</p>');
    setTimeout(() => res({ seen, ran: window.ran === 1 }), 300);
  }));
  check(csp.seen.includes('img-src') && csp.seen.includes('script-src-attr') && !csp.ran,
        'the Content-Security-Policy is not in force: ' + JSON.stringify(csp));
  page.problems = page.problems.filter(p => !/Content Security Policy|x\.png/.test(p));
  await page.goto(root + 'a1/c2-2026-10.html');
  check(await page.locator('iframe').count() === 0, 'the nurse\'s iframe exists');
  check((await page.locator('#m1 p').textContent()).includes('</p><iframe src="https://evil.example/">'),
        'the nurse\'s markup is not text');
  await noProblems(page, 'month pages');

  // search: finds a word, the result leads to the message, marked
  await page.goto(root + 'search.html');
  await checkAccessible(page, ['search', 'searchbox "Words to find"', 'button "Search"',
    'status', 'heading "Search messages" [level=1]'], 'search page');
  await page.getByLabel('Words to find').fill('yonder');
  await page.keyboard.press('Enter');
  await page.locator('#status', { hasText: 'found.' }).waitFor();
  check(await page.locator('#status').textContent() === '1 message found.', 'search status: ' +
        await page.locator('#status').textContent());
  await screenshot(page, 'history-search');
  const hit = page.locator('#results a').first();
  check((await hit.textContent()).startsWith('Romeo, October 2026'), 'the hit: ' + await hit.textContent());
  await Promise.all([page.waitForURL(/c3-2026-10\.html\?q=yonder#m2$/), hit.click()]);
  await page.locator('#m2 mark').waitFor();
  check(await page.locator('#m2 mark').textContent() === 'yonder', 'the word is not marked');
  check(await page.evaluate(() => document.querySelector(':target') === document.getElementById('m2')),
        'message 2 is not the target');
  // markup found by search stays text in the results
  await page.goto(root + 'search.html?q=onerror');
  await page.locator('#status', { hasText: 'found.' }).waitFor();
  check((await page.locator('#results p').first().textContent()).includes('<img src=x onerror=alert(1)>'),
        'the markup is not text in the results');
  check(await page.locator('#results img, #results script').count() === 0, 'markup ran in the results');
  await page.goto(root + 'search.html?q=nowhere-to-be-found');
  await page.locator('#status', { hasText: 'No message' }).waitFor();
  await noProblems(page, 'search');
  await context.close();

  // phone width and 400% zoom (1280 pixels shown at 4x: 320 CSS pixels)
  const pages = ['index.html', 'a1/c3.html', 'a1/c3-2026-10.html', 'a1/c1-2026-11.html',
                 'search.html?q=the'];
  for (const [label, opts] of [
    ['320 px', { viewport: { width: 320, height: 640 } }],
    ['400% zoom', { viewport: { width: 320, height: 200 }, deviceScaleFactor: 4 }]]) {
    const ctx = await browser.newContext(opts);
    const p = await watchedPage(ctx, 'file://');
    for (const u of pages) {
      await p.goto(root + u);
      if (u.startsWith('search')) await p.locator('#status', { hasText: 'found' }).waitFor();
      await checkNoOverflow(p, `${label}: ${u}`);
    }
    if (label === '320 px') {
      await p.goto(root + 'a1/c3-2026-10.html');
      await screenshot(p, 'history-phone');
    }
    await noProblems(p, label);
    await ctx.close();
  }

  // dark
  const dark = await browser.newContext({ viewport: { width: 800, height: 600 }, colorScheme: 'dark' });
  const dp = await watchedPage(dark, 'file://');
  await dp.goto(root + 'a1/c3-2026-10.html');
  check(await dp.evaluate(() => getComputedStyle(document.body).backgroundColor) === 'rgb(22, 22, 22)',
        'prefers-color-scheme: dark is not followed');
  await noProblems(dp, 'dark');
  await browser.close();
  done('browser.history');
})().catch(e => { console.error('FAIL:', e); process.exit(1); });
