// browser.serve: the page of `xporta serve` in headless Chromium against the
// real Prosody and ejabberd of the CTest fixture `servers`.  What the page
// says is checked, and what the servers hold is read back independently
// (tests/integration/xmpp_probe.py, a slixmpp client; `xporta check`;
// `xporta follow-moves` as the contact).
// Usage: node serve.test.js XPORTA SERVERS_SCRIPT SERVERS_DIR XP_POPULATE SCENARIOS WORK_DIR
'use strict';
const { execFile, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { launch, watchedPage, checkAccessible, checkNoOverflow, screenshot, check, done } = require('./lib.js');

const [X, SCRIPT, SDIR, POP, SCEN, WORK] = process.argv.slice(2);
if (!fs.existsSync(path.join(SDIR, 'servers.env'))) {
  console.log('skip: the servers did not start');
  process.exit(77);
}
const ENV = {};
for (const line of fs.readFileSync(path.join(SDIR, 'servers.env'), 'utf8').split('\n')) {
  const m = /^(?:export )?([A-Z0-9_]+)=['"]?([^'"]*)['"]?$/.exec(line.trim());
  if (m) ENV[m[1]] = m[2];
}
const PROBE = path.join(__dirname, '..', 'integration', 'xmpp_probe.py');
const SENDER = path.join(__dirname, '..', 'integration', 'store_live_sender.py');
const PASS = 'xporta-pass';
const P = 'bw' + Date.now().toString(36);
const OD = ENV.XPORTA_PROSODY_DOMAIN, ND = ENV.XPORTA_PROSODY_DOMAIN2;
const ED = ENV.XPORTA_EJABBERD_DOMAIN, ED2 = ENV.XPORTA_EJABBERD_DOMAIN2;
const PPORT = Number(ENV.XPORTA_PROSODY_PORT), EPORT = Number(ENV.XPORTA_EJABBERD_PORT);
const CA = ENV.XPORTA_TEST_CAFILE;
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true, mode: 0o700 });
const PWFILE = path.join(WORK, 'pw');
fs.writeFileSync(PWFILE, PASS + '\n', { mode: 0o600 });
const baseEnv = { ...process.env, XPORTA_SERVERS_DIR: SDIR, XDG_STATE_HOME: path.join(WORK, 'xdg') };

// run(cmd, args): { code, out, err } of a command (never throws).
function run(cmd, args, env) {
  return new Promise(res => execFile(cmd, args, { env: { ...baseEnv, ...(env || {}) }, maxBuffer: 64 << 20 },
    (e, out, err) => res({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err })));
}
async function must(what, cmd, args, env) {
  const r = await run(cmd, args, env);
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\n${r.out}\n${r.err}`);
  return r;
}
const adduser = (where, user) => must('adduser ' + user, 'bash', [SCRIPT, 'adduser', where, user, PASS]);
// probe(jid, port): what an independent client sees of the account.
async function probe(jid, port) {
  const r = await run('/usr/bin/python3', [PROBE, '--jid', jid, '--password-env', 'XP_PROBE_PW', '--host',
    '127.0.0.1', '--port', String(port), '--cafile', CA, '--no-presence'], { XP_PROBE_PW: PASS });
  try { return JSON.parse(r.out); } catch (e) { throw new Error('probe ' + jid + ': ' + r.out + r.err); }
}
const rosterJids = (p) => (p.roster || []).map(i => i.jid).sort();

// A TCP relay to a server whose answers can be held back: the way to keep
// a job running, deterministically, while the page is reloaded.
function relay(port) {
  const r = { held: false, waiting: [], bytes: 0 };
  r.server = net.createServer(c => {
    const s = net.connect(port, '127.0.0.1');
    c.pipe(s);
    s.on('data', d => {
      r.bytes += d.length;
      if (r.held) { r.waiting.push([c, d]); return; }
      c.write(d);
    });
    const end = () => { c.destroy(); s.destroy(); };
    c.on('error', end); s.on('error', end); c.on('close', end); s.on('close', end);
  });
  r.release = () => { r.held = false; for (const [c, d] of r.waiting.splice(0)) c.write(d); };
  return new Promise(res => r.server.listen(0, '127.0.0.1', () => { r.port = r.server.address().port; res(r); }));
}

// xporta serve in the background; resolves to { url, base, token, proc, dir }.
function startServe(dir, extra) {
  return new Promise((res, rej) => {
    const proc = spawn(X, ['serve', '--state-dir', dir, '--cafile', CA, ...(extra || [])],
      { env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stderr.on('data', d => { err += d; });
    proc.stdout.on('data', d => {
      out += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)\n/.exec(out);
      if (m) res({ url: m[0].trim(), base: m[1], token: m[2], proc, dir, err: () => err });
    });
    proc.on('exit', c => rej(new Error('serve exited ' + c + ': ' + err)));
  });
}

async function noProblems(page, what) {
  check(page.problems.length === 0, `${what}: ${page.problems.join('; ')}`);
  page.problems.length = 0;
}
const text = (page, sel) => page.locator(sel).textContent();
// The job's status line once it says `re`.
async function statusIs(page, re, what, timeout) {
  try {
    await page.locator('#job-status', { hasText: re }).waitFor({ timeout: timeout || 60000 });
    return true;
  } catch (e) {
    check(false, `${what}: the status says "${await text(page, '#job-status')}", not ${re}` +
      ` (notice: ${await text(page, '#notice')})`);
    return false;
  }
}
// Fills one account's fields (address, password, host and port behind the
// "Server settings" disclosure) by their labels.
async function fillAccount(form, who, jid, password, port) {
  await form.getByLabel(who === 'dl' ? 'Your address' : who + ' address', { exact: true }).fill(jid);
  await form.getByLabel(who === 'dl' ? 'Your password' : who + ' password', { exact: true }).fill(password);
  const host = who === 'dl' ? 'Your server host name' : who + ' server host name';
  const box = form.locator('details', { has: form.page().getByLabel(host) });
  if (await box.getAttribute('open') === null) await box.locator('summary').click();
  await form.getByLabel(host).fill('127.0.0.1');
  await form.getByLabel(host.replace('host name', 'port')).fill(String(port));
}
// The numbers shown in "Now: ...: N" lines, in order.
const counts = (lines) => lines.map(l => /: (\d+)(?: of \d+)?\.$/.exec(l)).filter(Boolean).map(m => Number(m[1]));

(async () => {
  const t0 = Date.now();
  // ---- accounts on both servers, filled by real clients ------------------------
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
  const names = (pre) => Object.fromEntries(users.map(u => [u.toUpperCase(), pre + '-' + u]));
  const prosodySide = (async () => {
    for (const u of users) await adduser('prosody', P + '-' + u);
    for (const u of ['new', 'empty']) await adduser(ND, P + '-' + u);
    await adduser('prosody', P + '-big');
    await must('fill prosody', POP, [path.join(SDIR, 'servers.env'), path.join(SCEN, 'fill-prosody.xml'),
      ...Object.entries(names(P)).map(([k, v]) => k + '=' + v), 'PASS=' + PASS]);
    // the big archive: 600 messages from bob, sent by a real client
    await must('big archive', '/usr/bin/python3', [SENDER, '--servers-env', path.join(SDIR, 'servers.env'),
      '--jid', `${P}-bob@${OD}`, '--password-file', PWFILE, '--to', `${P}-big@${OD}`, '--count', '600',
      '--gap', '0', '--prefix', 'a long history, message']);
  })();
  const E = P + 'e';
  const ejabberdSide = (async () => {
    for (const u of users) await adduser('ejabberd', E + '-' + u);
    await adduser(ED2, E + '-third');
    await must('fill ejabberd', POP, [path.join(SDIR, 'servers.env'), path.join(SCEN, 'fill-ejabberd.xml'),
      ...Object.entries(names(E)).map(([k, v]) => k + '=' + v), 'PASS=' + PASS]);
    // markup in a message, sent by a real client: the server archives it
    await must('markup message', '/usr/bin/python3', [SENDER, '--servers-env', path.join(SDIR, 'servers.env'),
      '--jid', `${E}-bob@${ED}`, '--password-file', PWFILE, '--to', `${E}-alice@${ED}`, '--count', '1',
      '--prefix', '<img src=x onerror=alert(1)> and <script>alert(2)</script> stay text']);
  })();
  const serve = await startServe(path.join(WORK, 'st'), ['--max-upload', '1M']);
  const UPLOADS = path.join(serve.dir, 'serve', 'uploads');
  const ORIGIN = serve.base + '/';
  const browser = await launch();
  console.log(`setup started (${Date.now() - t0} ms)`);

  // ---- a missing or wrong token: 403 in words, nothing of the app ---------------
  {
    const ctx = await browser.newContext();
    const page = await watchedPage(ctx, ORIGIN);
    const seen = [];
    page.on('request', r => seen.push(r.url()));
    for (const u of [serve.base + '/', serve.base + '/?token=wrong' + serve.token]) {
      const resp = await page.goto(u);
      check(resp.status() === 403, `${u}: status ${resp.status()}`);
      check((await page.locator('h1').textContent()) === 'Not allowed', 'the 403 page has no heading');
      check((await page.locator('body').textContent()).includes('Open the address that xporta serve printed'),
        'the 403 page does not say what to do');
      check(await page.locator('script, link[rel=stylesheet], form').count() === 0, 'the 403 page has parts of the app');
    }
    check(seen.length === 2 && !seen.some(u => /app\.(js|css)|\/api\//.test(u)), 'requests without the token: ' + seen);
    const r = await page.request.get(serve.base + '/app.js');
    check(r.status() === 403, 'app.js without the token: ' + r.status());
    await screenshot(page, 'serve-403');
    page.problems = page.problems.filter(p => !/status of 403/.test(p));
    await noProblems(page, 'the 403 page');
    await ctx.close();
  }

  // ---- the first load: under 100 KB, accessible, no overflow -----------------------
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 800 }, acceptDownloads: true });
  const nows = [];
  await ctx.exposeFunction('xpNow', t => { if (t) nows.push(t); });
  await ctx.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    const n = document.getElementById('job-now');
    if (n) new MutationObserver(() => window.xpNow(n.textContent)).observe(n, { childList: true, characterData: true, subtree: true });
  }));
  const page = await watchedPage(ctx, ORIGIN);
  {
    const reqs = [];
    page.on('requestfinished', r => reqs.push(r));
    await page.goto(serve.url);
    await page.waitForLoadState('networkidle');
    let total = 0;
    for (const r of reqs) {
      const s = await r.sizes();
      total += s.responseBodySize + s.responseHeadersSize;
    }
    console.log(`first load: ${reqs.length} requests, ${total} bytes`);
    check(reqs.length >= 4 && total > 0 && total < 100 * 1024, `the first load is ${total} bytes (${reqs.length} requests)`);
    page.removeAllListeners('requestfinished');
  }
  check(page.url() === ORIGIN, 'the token stays in the address bar: ' + page.url());
  await checkAccessible(page, ['banner', 'heading "xporta" [level=1]', 'navigation "What to do"',
    'main', 'heading "Move my account" [level=2]', 'group "Old account"', 'group "New account"',
    'textbox "Old address"', 'textbox "New address"', 'button "Show the plan"',
    'heading "Download my data" [level=2]', 'textbox "Your address"', 'button "Make the file"',
    'heading "Import a file" [level=2]', 'button "File to import"', 'button "Upload and check"',
    'heading "My work" [level=2]', 'contentinfo'], 'the start page');
  await screenshot(page, 'serve-start');
  await noProblems(page, 'the first load');

  await Promise.all([prosodySide, ejabberdSide]);
  console.log(`accounts filled (${Date.now() - t0} ms)`);
  const ALICE = `${P}-alice@${OD}`, NEW = `${P}-new@${ND}`, EMPTY = `${P}-empty@${ND}`;
  const move = page.locator('#move-form');

  // ---- wrong passwords, by keyboard only: the error in words, nothing written ----
  {
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.id === 'old-jid');
    }
    check(reached, 'Tab never reached "Old address"');
    await page.keyboard.type(ALICE);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-secret-1');
    await page.keyboard.press('Tab'); // the summary "Server settings"
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('127.0.0.1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(String(PPORT));
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.id) === 'new-jid', 'Tab order: new-jid after old-port');
    await page.keyboard.type(EMPTY);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASS);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('127.0.0.1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(String(PPORT));
    await page.keyboard.press('Enter'); // submits the form
    if (await statusIs(page, /^Failed\./, 'wrong old password')) {
      check(/the old server refused the password/i.test(await text(page, '#job-status')),
        'wrong old password: ' + await text(page, '#job-status'));
      check(await page.evaluate(() => document.activeElement.id) === 'job-h', 'the focus is not on the job');
      await screenshot(page, 'serve-error');
    }
    check(await move.getByLabel('Old password').inputValue() === '', 'the password stays in the field');
    await page.locator('#job-close').click();
    // the new password wrong, through the mouse
    await fillAccount(move, 'Old', ALICE, PASS, PPORT);
    await fillAccount(move, 'New', EMPTY, 'wrong-secret-2', PPORT);
    await move.getByRole('button', { name: 'Show the plan' }).click();
    if (await statusIs(page, /^Failed\./, 'wrong new password'))
      check(/the new server refused the password/i.test(await text(page, '#job-status')),
        'wrong new password: ' + await text(page, '#job-status'));
    const p = await probe(EMPTY, PPORT);
    check(p.login && p.login.ok && rosterJids(p).length === 0 && !p.vcard,
      'something was written to the untouched account: ' + JSON.stringify(p.roster) + ' ' + p.vcard);
    await page.locator('#job-close').click();
    await page.reload();
    await noProblems(page, 'wrong passwords');
  }

  // ---- a full move with Moved ------------------------------------------------------
  {
    await fillAccount(move, 'Old', ALICE, PASS, PPORT);
    await fillAccount(move, 'New', NEW, PASS, PPORT);
    await move.getByRole('button', { name: 'Show the plan' }).click();
    await statusIs(page, /^Waiting for you\./, 'the plan');
    check(await text(page, '#job-caption') === 'The plan (nothing changed yet)', 'plan caption: ' + await text(page, '#job-caption'));
    const plan = await page.locator('#job-table').ariaSnapshot();
    check(/columnheader "To add"/.test(plan) && /rowheader "Contacts"/.test(plan), 'the plan table:\n' + plan);
    const before = await probe(NEW, PPORT);
    check(rosterJids(before).length === 0, 'the plan wrote contacts: ' + rosterJids(before));
    await screenshot(page, 'serve-plan');
    nows.length = 0;
    await page.getByRole('button', { name: 'Start the move' }).click();
    await page.locator('#job-now', { hasText: /\d/ }).waitFor({ timeout: 30000 }).catch(() => {});
    await screenshot(page, 'serve-progress');
    await statusIs(page, /^Waiting for you\./, 'the move');
    check(await text(page, '#job-caption') === 'Copied and verified', 'report caption: ' + await text(page, '#job-caption'));
    const c = counts(nows);
    check(c.length >= 2 && c.some((v, i) => i > 0 && v > c[i - 1]), 'no counts increasing live: ' + nows.join(' | '));
    await screenshot(page, 'serve-report');
    await page.getByRole('button', { name: 'Tell my contacts' }).click();
    await statusIs(page, /^Done\./, 'telling the contacts');
    const bob = `${P}-bob@${OD}`;
    check((await text(page, '#job-contacts')).includes(bob + ': asked to follow you, with the moved notice'),
      'the contacts: ' + await text(page, '#job-contacts'));
    await screenshot(page, 'serve-contacts');
    // the new account holds the data; bob follows the move
    const after = await probe(NEW, PPORT);
    const want = ['carol', 'dave', 'erin'].map(u => `${P}-${u}@${OD}`);
    check(want.every(j => rosterJids(after).includes(j)), 'the new roster: ' + rosterJids(after));
    check(!!after.vcard, 'the new account has no vCard');
    const f = await run(X, ['follow-moves', bob, '--host', '127.0.0.1', '--port', String(PPORT), '--cafile', CA,
      '--password-file', PWFILE]);
    check(f.code === 0 && new RegExp(`followed +${NEW.replace(/\./g, '\\.')}: verified move from ${ALICE.replace(/\./g, '\\.')}`).test(f.err),
      'bob did not follow: ' + f.code + ' ' + f.err);
    const b = await probe(bob, PPORT);
    check(rosterJids(b).includes(NEW), 'bob\'s roster lacks the new address: ' + rosterJids(b));
    await noProblems(page, 'the move');
  }

  await browser.close();
  serve.proc.kill('SIGTERM');
  done('browser.serve');
})().catch(e => { console.error('FAIL:', e); process.exit(1); });
