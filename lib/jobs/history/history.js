/* xporta history: search the prebuilt index (search/meta.js, search/sN.js,
   loaded as scripts: a page opened from disk may not fetch files), and
   mark the words searched in the message a result leads to.  Text from
   the archive is only ever set with textContent. */
(function () {
  'use strict';
  var MAX = 200;
  function words(q) {
    return q.toLowerCase().split(/\s+/).filter(function (w) { return w; });
  }
  function param(name) {
    var m = new RegExp('[?&]' + name + '=([^&#]*)').exec(location.search);
    try { return m ? decodeURIComponent(m[1].replace(/\+/g, ' ')) : ''; }
    catch (e) { return ''; }
  }
  /* A month page opened from a result: mark the words in its message. */
  function markTarget() {
    var ws = words(param('q'));
    var id = location.hash.slice(1);
    var li = id && document.getElementById(id);
    if (!ws.length || !li) return;
    var p = li.querySelector('p');
    if (!p) return;
    var walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    var nodes = [], n;
    while ((n = walker.nextNode())) nodes.push(n);
    nodes.forEach(function (node) {
      var text = node.nodeValue, low = text.toLowerCase(), at = 0;
      var frag = document.createDocumentFragment(), found = false;
      for (;;) {
        var best = -1, len = 0;
        ws.forEach(function (w) {
          var i = low.indexOf(w, at);
          if (i >= 0 && (best < 0 || i < best)) { best = i; len = w.length; }
        });
        if (best < 0) break;
        found = true;
        frag.appendChild(document.createTextNode(text.slice(at, best)));
        var mark = document.createElement('mark');
        mark.textContent = text.slice(best, best + len);
        frag.appendChild(mark);
        at = best + len;
      }
      if (!found) return;
      frag.appendChild(document.createTextNode(text.slice(at)));
      node.parentNode.replaceChild(frag, node);
    });
    li.setAttribute('tabindex', '-1');
    li.focus();
  }

  var form = document.getElementById('search');
  if (!form) { markTarget(); return; }
  var input = document.getElementById('q');
  var status = document.getElementById('status');
  var list = document.getElementById('results');
  var meta = null, shards = [], lower = [], loading = {}, state = null;

  function say(t) { status.textContent = t; }
  function load(src) {
    var s = document.createElement('script');
    s.src = src;
    s.onerror = function () { say('The search index is missing: ' + src); };
    document.head.appendChild(s);
  }
  window.XH_meta = function (m) { meta = m; next(); };
  window.XH_shard = function (k, rows) { shards[k] = rows; next(); };

  function show(row, ws) {
    var page = meta.pages[row[0]];
    var li = document.createElement('li');
    var a = document.createElement('a');
    a.href = page[0] + '?q=' + encodeURIComponent(state.q) + '#m' + row[1];
    a.textContent = page[1] + ' \u00b7 ' + row[2] + ' \u00b7 ' + row[3];
    li.appendChild(a);
    var text = row[4], low = text.toLowerCase();
    var at = low.indexOf(ws[0]);
    var from = Math.max(0, at - 80), to = Math.min(text.length, at + ws[0].length + 120);
    var p = document.createElement('p');
    p.appendChild(document.createTextNode((from ? '\u2026' : '') + text.slice(from, at)));
    var mark = document.createElement('mark');
    mark.textContent = text.slice(at, at + ws[0].length);
    p.appendChild(mark);
    p.appendChild(document.createTextNode(text.slice(at + ws[0].length, to) + (to < text.length ? '\u2026' : '')));
    li.appendChild(p);
    list.appendChild(li);
  }
  function scan(k) {
    var rows = shards[k], ws = state.words;
    var low = lower[k] || (lower[k] = rows.map(function (r) { return r[4].toLowerCase(); }));
    for (var i = 0; i < rows.length && state.hits < MAX; i++) {
      var ok = true;
      for (var w = 0; w < ws.length && ok; w++) ok = low[i].indexOf(ws[w]) >= 0;
      if (ok) { state.hits++; show(rows[i], ws); }
    }
  }
  function next() {
    if (!state) return;
    if (!meta) {
      if (!loading.meta) { loading.meta = true; load('search/meta.js'); }
      return;
    }
    while (state.k < meta.shards && state.hits < MAX) {
      if (!shards[state.k]) {
        if (!loading[state.k]) { loading[state.k] = true; load('search/s' + state.k + '.js'); }
        return;
      }
      scan(state.k++);
      say('Searching\u2026 ' + state.hits + ' found so far.');
    }
    var h = state.hits;
    say(h === 0 ? 'No message contains \u201c' + state.q + '\u201d.' :
        h + (h === 1 ? ' message' : ' messages') + ' found' +
        (h >= MAX ? ' (the first ' + MAX + ' are shown).' : '.'));
  }
  function start(q) {
    var ws = words(q);
    if (!ws.length) return;
    while (list.firstChild) list.removeChild(list.firstChild);
    state = { q: q.trim(), words: ws, k: 0, hits: 0 };
    say('Searching\u2026');
    next();
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    try { history.replaceState(null, '', '?q=' + encodeURIComponent(input.value.trim())); }
    catch (err) { /* some browsers refuse it for files */ }
    start(input.value);
  });
  var q0 = param('q');
  if (q0) { input.value = q0; start(q0); }
})();
