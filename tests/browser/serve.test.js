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
  const r = { held: false, holdAt: 0, waiting: [], bytes: 0 };
  r.server = net.createServer(c => {
    const s = net.connect(port, '127.0.0.1');
    c.pipe(s);
    s.on('data', d => {
      r.bytes += d.length;
      if (r.holdAt && r.bytes > r.holdAt) { r.held = true; r.holdAt = 0; }
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

async function shot(page, name) {
  await page.evaluate(() => { const j = document.getElementById('job'); if (j && !j.hidden) j.scrollIntoView(); });
  await screenshot(page, name);
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
  const ctx = await browser.newContext({ viewport: { width: 800, height: 600 }, acceptDownloads: true });
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
      await shot(page, 'serve-error');
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
    await checkAccessible(page, ['region "Move: ' + ALICE + ' → ' + NEW + '"', 'status',
      'table "The plan (nothing changed yet)"', 'columnheader "In the source"', 'rowheader "Contacts"',
      'button "Start the move"', 'button "Back to the start"'], 'the plan');
    await shot(page, 'serve-plan');
    nows.length = 0;
    await page.getByRole('button', { name: 'Start the move' }).click();
    await page.locator('#job-now', { hasText: /\d/ }).waitFor({ timeout: 30000 }).catch(() => {});
    await shot(page, 'serve-progress');
    await statusIs(page, /^Waiting for you\./, 'the move');
    check(await text(page, '#job-caption') === 'Copied and verified', 'report caption: ' + await text(page, '#job-caption'));
    const odd = nows.filter(l => !/^Now: [a-z]/.test(l) || /[,:] [,:.]|undefined|null|NaN/.test(l));
    check(odd.length === 0, 'progress lines not in words: ' + odd.join(' | '));
    const c = counts(nows);
    check(c.length >= 2 && c.some((v, i) => i > 0 && v > c[i - 1]), 'no counts increasing live: ' + nows.join(' | '));
    await shot(page, 'serve-report');
    await page.getByRole('button', { name: 'Tell my contacts' }).click();
    await statusIs(page, /^Done\./, 'telling the contacts');
    const bob = `${P}-bob@${OD}`;
    check((await text(page, '#job-contacts')).includes(bob + ': asked to follow you, with the moved notice'),
      'the contacts: ' + await text(page, '#job-contacts'));
    await shot(page, 'serve-contacts');
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
  const moveUrl = page.url();
  check(/#job=[A-Za-z0-9_-]+$/.test(moveUrl), 'the address does not name the job: ' + moveUrl);

  // ---- a download from ejabberd, its history, and an import of the file -------------
  const EALICE = `${E}-alice@${ED}`, THIRD = `${E}-third@${ED2}`;
  const MARKUP = '<img src=x onerror=alert(1)> and <script>alert(2)</script> stay text 1';
  const FILE = path.join(WORK, 'downloaded.xml');
  {
    await page.locator('#job-close').click();
    const dl = page.locator('#download-form');
    await fillAccount(dl, 'dl', EALICE, PASS, EPORT);
    nows.length = 0;
    await dl.getByRole('button', { name: 'Make the file' }).click();
    await statusIs(page, /^Done\./, 'the download');
    check(nows.some(l => /^Now: making the file, Message history: \d+/.test(l)),
      'the archive was not counted live: ' + nows.join(' | '));
    await shot(page, 'serve-download');
    const [d] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download the file' }).click()]);
    check(d.suggestedFilename() === `xporta-${EALICE}.xml`, 'the file name: ' + d.suggestedFilename());
    await d.saveAs(FILE);
    const c = await run(X, ['check', FILE]);
    check(c.code === 0, 'xporta check of the downloaded file: ' + c.code + ' ' + c.err);
    const xml = fs.readFileSync(FILE, 'utf8');
    check(xml.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the markup message is not in the file');
    check(xml.includes(`${E}-carol@${ED}`), 'carol is not in the file');

    // the history, served by serve: the markup is text
    await page.getByRole('button', { name: 'Make my history readable in the browser' }).click();
    await statusIs(page, /ready to read/, 'the history');
    const href = await page.getByRole('link', { name: 'Read my history' }).getAttribute('href');
    const hp = await watchedPage(ctx, ORIGIN);
    await hp.goto(serve.base + href + 'search.html?q=onerror');
    await hp.locator('#status', { hasText: 'found.' }).waitFor();
    check((await hp.locator('#results').textContent()).includes('<img src=x onerror=alert(1)>'),
      'the markup is not text in the search results');
    await Promise.all([hp.waitForURL(/#m\d+$/), hp.locator('#results a').first().click()]);
    const msg = hp.locator('p', { hasText: MARKUP });
    check(await msg.count() === 1, 'the message is not shown as text');
    check(await hp.locator('img, iframe, object, embed').count() === 0, 'an element from a message exists');
    check((await hp.$$eval('script', s => s.map(e => e.getAttribute('src')))).every(u => /history\.js$/.test(u)),
      'a script other than history.js');
    await msg.scrollIntoViewIfNeeded();
    await screenshot(hp, 'serve-history');
    await noProblems(hp, 'the history view');
    await hp.close();

    // the import of the downloaded file into a third account
    await page.locator('#job-close').click();
    await page.getByLabel('File to import').setInputFiles(FILE);
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await statusIs(page, /^Waiting for you\./, 'the check of the upload');
    check(await text(page, '#job-caption') === 'The file', 'check caption: ' + await text(page, '#job-caption'));
    await page.getByLabel('Address of the account to import into').fill(THIRD);
    await page.getByLabel('Its password').fill(PASS);
    await page.getByLabel('Server host name (rarely needed)').fill('127.0.0.1');
    await page.getByLabel('Port (rarely needed)').fill(String(EPORT));
    await page.locator('#job-next').getByRole('button', { name: 'Show the plan' }).click();
    await page.locator('#job-caption', { hasText: 'The plan' }).waitFor();
    await statusIs(page, /^Waiting for you\./, 'the import plan');
    await shot(page, 'serve-import-plan');
    check(rosterJids(await probe(THIRD, EPORT)).length === 0, 'the import plan wrote contacts');
    await page.getByRole('button', { name: 'Import now' }).click();
    await statusIs(page, /^Done\./, 'the import');
    check(await text(page, '#job-caption') === 'Copied and verified', 'import caption: ' + await text(page, '#job-caption'));
    const t = await probe(THIRD, EPORT);
    const want = ['bob', 'carol', 'dave'].map(u => `${E}-${u}@${ED}`);
    check(want.every(j => rosterJids(t).includes(j)), 'the third roster: ' + rosterJids(t));
    check(!!t.vcard, 'the third account has no vCard');
    await noProblems(page, 'download and import');
  }
  const importUrl = page.url();

  // ---- an upload over the limit: refused in the page, nothing on disk ---------------
  {
    await page.locator('#job-close').click();
    await page.getByLabel('File to import').setInputFiles({ name: 'big.xml', mimeType: 'application/xml',
      buffer: Buffer.alloc(3 * 1024 * 1024, 'x') });
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await page.locator('#notice', { hasText: 'upload' }).waitFor();
    check(/^The upload was refused: .*bigger than this server accepts/.test(await text(page, '#notice')),
      'the notice: ' + await text(page, '#notice'));
    await screenshot(page, 'serve-upload-refused');
    check(fs.readdirSync(UPLOADS).length === 0, 'files left in the upload directory: ' + fs.readdirSync(UPLOADS));
    page.problems = page.problems.filter(p => !/status of 413/.test(p));
    await noProblems(page, 'the upload over the limit');
  }

  // ---- a reload in the middle of a job: the page finds it and follows it ----------
  {
    const BIG = `${P}-big@${OD}`;
    const rl = await relay(PPORT);
    rl.holdAt = 100 * 1024; // part of the archive, then the server's answers wait
    await page.goto(ORIGIN);
    const dl = page.locator('#download-form');
    await fillAccount(dl, 'dl', BIG, PASS, rl.port);
    await dl.getByRole('button', { name: 'Make the file' }).click();
    await page.locator('#job-now', { hasText: /Message history: \d+/ }).waitFor({ timeout: 60000 });
    for (let i = 0; i < 600 && !rl.held; i++) await new Promise(r => setTimeout(r, 50));
    console.log(`relay: ${rl.bytes} bytes, held ${rl.held}, the page: ${await text(page, '#job-now')}`);
    check(rl.held, 'the relay did not hold the archive back');
    nows.length = 0;
    await page.reload();
    await statusIs(page, /^Running: making the file…$/, 'after the reload');
    check((await text(page, '#job-h')) === 'Download: ' + BIG, 'the reloaded page shows ' + await text(page, '#job-h'));
    await page.locator('#job-now', { hasText: /Message history: \d+/ }).waitFor();
    const archive = () => counts(nows.filter(l => /Message history/.test(l)));
    const before = Math.max(...archive());
    await shot(page, 'serve-reload');
    rl.release();
    await statusIs(page, /^Done\./, 'the job after the reload', 120000);
    const c = archive();
    check(c.filter(v => v > before).length >= 2 && c[c.length - 1] >= 600,
      `no progress after the reload (from ${before}): ` + nows.join(' | '));
    const row = page.locator('#job-tbody tr', { has: page.getByRole('rowheader', { name: 'Message history' }) });
    const shown = Number(await row.locator('td').first().textContent());
    const p = await probe(BIG, PPORT);
    const held = p.mam && p.mam.complete ? p.mam.messages.length : -1;
    check(held === shown && shown >= 600, `the archive: the page says ${shown}, the server has ${held}`);
    console.log(`relay: ${rl.bytes} bytes in all`);
    rl.server.close();
    await noProblems(page, 'the reload');
  }
  await ctx.close();

  // ---- phone width and 400% zoom: no sideways scrolling -------------------------------
  for (const [label, opts] of [['320 px', { viewport: { width: 320, height: 640 } }],
    ['400% zoom', { viewport: { width: 320, height: 200 }, deviceScaleFactor: 4 }]]) {
    const c = await browser.newContext(opts);
    const p = await watchedPage(c, ORIGIN);
    await p.goto(serve.url);
    await p.locator('#job-list li').first().waitFor();
    await checkNoOverflow(p, label + ': the start page');
    await p.goto(moveUrl);
    await p.reload();
    await p.locator('#job-table').waitFor();
    await checkNoOverflow(p, label + ': the move\'s report');
    await p.goto(importUrl);
    await p.reload();
    await p.locator('#job-caption', { hasText: 'Copied and verified' }).waitFor();
    await checkNoOverflow(p, label + ': the import\'s report (seven columns)');
    if (label === '320 px') await shot(p, 'serve-phone');
    await noProblems(p, label);
    await c.close();
  }

  // the passwords typed into the page are in no file serve wrote
  const files = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? files(path.join(d, e.name)) : [path.join(d, e.name)]);
  const leaks = files(serve.dir).filter(f => {
    const b = fs.readFileSync(f);
    return [PASS, 'wrong-secret-1', 'wrong-secret-2'].some(pw => b.includes(pw));
  });
  check(leaks.length === 0, 'a password is on disk: ' + leaks.join(' '));
  await browser.close();
  serve.proc.kill('SIGTERM');
  done('browser.serve');
})().catch(e => { console.error('FAIL:', e); process.exit(1); });
