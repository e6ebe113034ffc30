// browser.portal: `xporta serve --listen` (the provider portal) in Chromium
// against the shared Prosody: the login page (labelled fields, the
// accessibility tree, a phone width), a wrong password in words, a login,
// the page with the account and no server fields, the logout.  Nothing
// loads from elsewhere; no CSP report, no script error.
// Usage: node portal.test.js XPORTA SERVERS_SCRIPT SERVERS_DIR WORK_DIR
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { launch, watchedPage, checkAccessible, checkNoOverflow, screenshot, check, done } = require('./lib.js');

const [xporta, script, serversDir, work] = process.argv.slice(2);
const env = {};
for (const line of fs.readFileSync(path.join(serversDir, 'servers.env'), 'utf8').split('\n')) {
  const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
  if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
}
const user = 'pb' + Date.now() + '-' + process.pid;
const jid = user + '@' + env.XPORTA_PROSODY_DOMAIN;
const pass = 'portal-browser-pass';
const servers = (...args) => execFileSync('bash', [script, ...args],
  { env: { ...process.env, XPORTA_SERVERS_DIR: serversDir }, stdio: 'ignore' });

function freePort() {
  return new Promise(resolve => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

(async () => {
  servers('adduser', 'prosody', user, pass);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const port = await freePort();
  const base = 'http://127.0.0.1:' + port;
  const serve = spawn(xporta, ['serve', '--listen', '127.0.0.1:' + port, '--public-url', base,
    '--xmpp-server', '127.0.0.1:' + env.XPORTA_PROSODY_PORT, '--cafile', env.XPORTA_TEST_CAFILE,
    '--state-dir', work], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise(resolve => serve.stdout.once('data', resolve));
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await watchedPage(context, base + '/');

    await page.goto(base + '/');
    check(page.url() === base + '/login', 'no session: sent to /login, got ' + page.url());
    await checkAccessible(page, ['heading "Log in" [level=2]', 'form "Log in"',
      'textbox "Your chat address"', 'textbox "Your password"', 'button "Log in"'], 'login');
    await screenshot(page, 'portal-login');
    await page.setViewportSize({ width: 360, height: 640 });
    await checkNoOverflow(page, 'login at a phone width');
    await page.setViewportSize({ width: 800, height: 600 });

    // a wrong password: in words, in an alert; the keyboard is enough
    await page.getByLabel('Your chat address').fill(jid);
    await page.getByLabel('Your password').fill('wrong-password');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const words = await alert.textContent();
    check(/server refused the password/.test(words), 'wrong password: ' + words);
    // the refused fetch is the one console error expected
    page.problems = page.problems.filter(p => !/status of 401/.test(p));

    await page.getByLabel('Your password').fill(pass);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(base + '/');
    await page.locator('#portal-account').waitFor();
    const bar = await page.locator('#portal-account').textContent();
    check(bar.includes('Logged in as ' + jid), 'the account on the page: ' + bar);
    check(await page.locator('#dl-jid').inputValue() === jid, 'the download form has the account');
    check(!(await page.locator('#dl-host').isVisible()), 'no server field in a portal');
    await checkAccessible(page, ['button "Log out"', 'heading "Move my account"'], 'portal page');
    await screenshot(page, 'portal-page');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(base + '/login');
    const r = await page.request.get(base + '/api/jobs');
    check(r.status() === 401, 'after the logout the API answers ' + r.status());
    check(page.problems.length === 0, 'problems: ' + page.problems.join('; '));
  } finally {
    await browser.close();
    serve.kill('SIGTERM');
    try { servers('deluser', 'prosody', user); } catch (e) { /* left for the fixture */ }
  }
  done('browser.portal');
})().catch(e => { console.error(e); process.exit(1); });
