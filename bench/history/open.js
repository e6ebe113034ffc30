// bench/history/open.js DIR PAGE [ROUNDS]: opens DIR/PAGE (an `xporta history`
// page) from file:// in headless Chromium ROUNDS times (default 7), each in
// a fresh context (nothing cached), and prints the median time until the
// page is shown: first contentful paint and the load event, from the
// page's own navigation timing; then the time a search takes over the
// whole index (a word found nowhere: every shard is read) and a common one
// (stops at 200 hits).  NODE_PATH must lead to playwright-core (the build
// directory's browser/node_modules after `ctest -L browser`).
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');
const [dir, pageName, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 7);
const median = a => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.XPORTA_CHROMIUM || '/usr/bin/chromium', headless: true });
  const root = 'file://' + path.resolve(dir) + '/';
  const fcp = [], load = [], wall = [];
  for (let i = 0; i < rounds; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(root + pageName, { waitUntil: 'load' });
    const t = await page.evaluate(() => new Promise(res => {
      const nav = performance.getEntriesByType('navigation')[0];
      new PerformanceObserver((list, obs) => {
        const p = list.getEntries().find(e => e.name === 'first-contentful-paint');
        if (p) { obs.disconnect(); res([p.startTime, nav.loadEventEnd]); }
      }).observe({ type: 'paint', buffered: true });
      setTimeout(() => res([-1, nav.loadEventEnd]), 3000);
    }));
    wall.push(Date.now() - t0);
    fcp.push(t[0]);
    load.push(t[1]);
    await ctx.close();
  }
  const search = async (q) => {
    const ms = [];
    for (let i = 0; i < Math.min(rounds, 3); i++) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      const t0 = Date.now();
      await page.goto(root + 'search.html?q=' + encodeURIComponent(q));
      await page.locator('#status', { hasText: /found|No message/ }).waitFor({ timeout: 60000 });
      await page.waitForFunction(() => !/Searching/.test(document.getElementById('status').textContent));
      ms.push(Date.now() - t0);
      await ctx.close();
    }
    return median(ms);
  };
  const rare = await search('nowhere-in-the-archive');
  const common = await search('verona');
  await browser.close();
  console.log(`page ${pageName}: first paint ${median(fcp).toFixed(0)} ms, load ${median(load).toFixed(0)} ms, ` +
              `goto from node ${median(wall)} ms (median of ${rounds})`);
  console.log(`search, found nowhere (every shard read): ${rare} ms; common word (200 hits): ${common} ms`);
})().catch(e => { console.error(e); process.exit(1); });
