// xporta serve's page: plain JavaScript, no build step.  Text from the
// server is only ever set with textContent.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="xporta-csrf"]').content;
  let current = null; // the job shown
  let source = null; // its EventSource
  let view = null; // what its events said so far

  const STATES = { running: 'Running', waiting: 'Waiting for you', done: 'Done',
    failed: 'Failed', canceled: 'Stopped', interrupted: 'Interrupted' };
  const TYPES = { migrate: 'Move', export: 'Download', import: 'Import' };
  const STEPS = { plan: 'the plan', run: 'the copy', announce: 'telling your contacts', history: 'making your history readable',
    check: 'the check of the file', export: 'reading the account', import: 'writing the account',
    rooms: 'finding your group chats' };
  // What a step is doing when no kind of data is counted (a progress event's phase).
  const PHASES = { connect: 'connecting as', discover: 'asking the server what it offers', target: 'looking at',
    plan: 'comparing', write: 'writing', verify: 'checking what was written to', done: 'finishing',
    bookmarks: 'reading the bookmarks', services: 'looking for group chat services on', statement: 'publishing where you moved:',
    announce: 'asking', read: 'reading the file' };
  const KINDS = { credentials: 'Password', roster: 'Contacts', pending: 'Pending contact requests',
    vcard: 'Profile (vCard)', private: 'Private data', privacy: 'Privacy lists',
    blocklist: 'Blocked addresses', offline: 'Offline messages', 'pep-node': 'Published data',
    'pep-affiliations': 'Published data: who may see it', 'pep-subscriptions': 'Published data: subscriptions',
    'pep-item': 'Published items', archive: 'Message history', 'mam-prefs': 'History settings',
    other: 'Other data', 'room-config': 'Group chat settings', 'room-affiliation': 'Group chat members',
    'room-subject': 'Group chat subjects' };
  const kindName = (k) => KINDS[k] || k;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function notice(text) {
    const n = $('notice');
    n.textContent = text || '';
    n.hidden = !text;
    if (text) n.scrollIntoView({ block: 'nearest' });
  }

  async function api(method, url, body) {
    const opt = { method, credentials: 'same-origin', headers: { 'X-Xporta-CSRF': csrf } };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    const r = await fetch(url, opt);
    if (r.status === 204) return {};
    let data = {};
    try { data = await r.json(); } catch (e) { data = {}; }
    if (!r.ok) throw new Error(data.error || ('the server answered ' + r.status));
    return data;
  }

  function account(prefix) {
    const a = { jid: $(prefix + '-jid').value.trim(), password: $(prefix + '-password').value };
    const host = $(prefix + '-host').value.trim();
    const port = $(prefix + '-port').value.trim();
    if (host) a.host = host;
    if (port) a.port = Number(port);
    return a;
  }
  function needFilled(ids) {
    for (const id of ids) {
      const f = $(id);
      if (!f.value) {
        notice('Please fill in “' + document.querySelector('label[for="' + id + '"]').textContent + '”.');
        f.focus();
        return false;
      }
    }
    return true;
  }

  // ---- starting work --------------------------------------------------------
  $('move-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    notice('');
    if (!needFilled(['old-jid', 'old-password', 'new-jid', 'new-password'])) return;
    const body = { type: 'migrate', old: account('old'), new: account('new') };
    $('old-password').value = $('new-password').value = '';
    await start(() => api('POST', '/api/jobs', body), $('move-submit'));
  });
  $('download-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    notice('');
    if (!needFilled(['dl-jid', 'dl-password'])) return;
    const body = { type: 'export', account: account('dl') };
    $('dl-password').value = '';
    await start(() => api('POST', '/api/jobs', body), $('download-submit'));
  });
  $('import-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    notice('');
    const file = $('import-file').files[0];
    if (!file) { notice('Please choose a file.'); $('import-file').focus(); return; }
    const x = new XMLHttpRequest();
    const bar = $('import-progress');
    bar.hidden = false;
    bar.value = 0;
    $('import-submit').disabled = true;
    x.open('PUT', '/api/uploads');
    x.setRequestHeader('X-Xporta-CSRF', csrf);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.setRequestHeader('X-Xporta-Filename', file.name.replace(/[^\x20-\x7e]/g, '_'));
    x.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    x.onload = () => {
      $('import-submit').disabled = false;
      bar.hidden = true;
      let data = {};
      try { data = JSON.parse(x.responseText); } catch (e) { data = {}; }
      if (x.status === 201 && data.job) { show(data.job); return; }
      notice('The upload was refused: ' + (data.error || 'the server answered ' + x.status) + '.');
    };
    x.onerror = () => { $('import-submit').disabled = false; bar.hidden = true; notice('The upload failed: the connection was lost.'); };
    x.send(file);
  });
  async function start(call, button) {
    button.disabled = true;
    try { show((await call()).job); } catch (e) { notice(e.message + '.'); } finally { button.disabled = false; }
  }

  // ---- the list ---------------------------------------------------------------
  function describe(j) {
    const who = j.type === 'migrate' ? (j.old.jid + ' → ' + j.new.jid)
      : j.type === 'import' ? (j.file.name + (j.account ? ' → ' + j.account.jid : ''))
        : (j.account ? j.account.jid : '');
    return TYPES[j.type] + ': ' + who;
  }
  async function loadJobs() {
    let data;
    try { data = await api('GET', '/api/jobs'); } catch (e) { notice(e.message + '.'); return []; }
    const list = $('job-list');
    list.textContent = '';
    data.jobs.sort((a, b) => b.created - a.created);
    for (const j of data.jobs) {
      const li = el('li');
      const b = el('button', describe(j) + ' (' + STATES[j.state] + ')', 'secondary');
      b.type = 'button';
      b.addEventListener('click', () => show(j));
      li.appendChild(b);
      list.appendChild(li);
    }
    $('jobs-empty').hidden = data.jobs.length > 0;
    return data.jobs;
  }

  // ---- one job ----------------------------------------------------------------
  function show(j) {
    if (source) { source.close(); source = null; }
    current = j;
    view = { last: 0, step: j.stage, kinds: {}, summary: null, contacts: [], problems: 0, now: '' };
    history.replaceState(null, '', '#job=' + j.id);
    $('job').hidden = false;
    $('job-h').textContent = describe(j);
    $('job-tbody').textContent = $('job-thead').textContent = '';
    $('job-table').hidden = true;
    $('job-contacts').textContent = $('job-problems').textContent = '';
    $('job-contacts-box').hidden = $('job-problems-box').hidden = true;
    $('job-now').textContent = '';
    render();
    $('job-h').focus();
    listen();
  }
  function listen() {
    if (source) source.close();
    source = new EventSource('/api/jobs/' + current.id + '/events?after=' + view.last);
    source.onmessage = (m) => {
      view.last = Number(m.lastEventId) || view.last;
      let e;
      try { e = JSON.parse(m.data); } catch (x) { return; }
      onEvent(e);
    };
    source.onerror = () => {
      // 204 (nothing more) closes it; otherwise the browser reconnects
      // with Last-Event-ID by itself.
      if (source && source.readyState === EventSource.CLOSED) source = null;
    };
  }
  function onEvent(e) {
    switch (e.event) {
      case 'progress': {
        const of = e.total ? ' of ' + e.total : '';
        const step = current.type === 'export' && e.step === 'export' ? 'making the file' : (STEPS[e.step] || e.step || '');
        const what = e.kind ? kindName(e.kind) + ': ' + e.done + of
          : (PHASES[e.phase] || e.phase || '') + (e.message ? ' ' + e.message : '') + (e.done ? ' (' + e.done + of + ')' : '');
        view.now = 'Now: ' + (step ? step + (e.kind ? ', ' : ': ') : '') + what + '.';
        $('job-now').textContent = view.now;
        if (e.kind) view.kinds[e.kind] = e.done;
        break;
      }
      case 'summary': view.summary = e; table(e); break;
      case 'contact': contact(e); break;
      case 'refused': problem('Refused by the server: ' + kindName(e.kind) + ' ' + (e.key || '') + (e.why ? ' (' + e.why + ')' : '')); break;
      case 'note': if (e.what === 'error' || e.what === 'warning' || e.what === 'REFUSED' || e.what === 'DIFFERS') problem(e.what + ': ' + e.detail); break;
      case 'item': if (e.action === 'missing' || e.action === 'differs') problem('Verify: ' + kindName(e.kind) + ' ' + (e.key || '') + ' ' + e.action); break;
      case 'stage': view.step = e.stage; stage(e); break;
      default: break;
    }
  }
  function problem(text) {
    if (view.problems++ > 200) return;
    $('job-problems-box').hidden = false;
    $('job-problems').appendChild(el('li', text));
  }
  const OUTCOMES = { moved: 'asked to follow you, with the moved notice', asked: 'asked to follow you',
    already: 'already follows your new address', skipped: 'nothing to ask', earlier: 'asked before',
    bounced: 'the request came back', approved: 'approved', again: 'asked again' };
  function contact(e) {
    $('job-contacts-box').hidden = false;
    $('job-contacts').appendChild(el('li', e.jid + ': ' + (OUTCOMES[e.outcome] || e.outcome) + (e.why ? ' (' + e.why + ')' : '')));
  }
  function table(s) {
    const head = $('job-thead'), body = $('job-tbody');
    head.textContent = body.textContent = '';
    let cols;
    if (s.command === 'check') {
      $('job-caption').textContent = 'The file';
      cols = [['What', null]];
      const rows = [['Accounts', s.users], ['Records', s.records], ['Errors', s.errors], ['Warnings', s.warnings]];
      const tr = el('tr'); tr.appendChild(el('th', 'What')); tr.appendChild(el('th', 'Count')); head.appendChild(tr);
      for (const [k, v] of rows) { const r = el('tr'); r.appendChild(el('th', k)); r.lastChild.scope = 'row'; r.appendChild(el('td', v)); body.appendChild(r); }
      $('job-table').hidden = false;
      return;
    }
    if (s.dry_run) {
      $('job-caption').textContent = 'The plan (nothing changed yet)';
      cols = [['In the source', 'source'], ['To add', 'add'], ['Already there', 'same'], ['Different, kept', 'conflict'], ['Left out', 'skip'], ['Only a server can copy', 'not_restorable']];
    } else if (view.step === 'run' && current.type !== 'export') {
      $('job-caption').textContent = s.verified ? 'Copied and verified' : 'Copied: the check found differences';
      cols = [['Written', 'written'], ['Already there', 'same'], ['Refused', 'failed'], ['Verified', 'verified'], ['Missing', 'missing'], ['Different', 'differs']];
    } else if (view.step === 'announce') {
      $('job-caption').textContent = 'Your contacts';
      const tr = el('tr'); tr.appendChild(el('th', 'Outcome')); tr.appendChild(el('th', 'Contacts')); head.appendChild(tr);
      for (const k of Object.keys(s.contacts || {})) { const r = el('tr'); r.appendChild(el('th', OUTCOMES[k] || k)); r.appendChild(el('td', s.contacts[k])); body.appendChild(r); }
      $('job-table').hidden = false;
      return;
    } else {
      $('job-caption').textContent = 'In the file';
      cols = [['Count', 'count'], ['State', 'state']];
    }
    const tr = el('tr');
    tr.appendChild(el('th', 'What'));
    for (const [label] of cols) tr.appendChild(el('th', label));
    for (const th of tr.children) th.scope = 'col';
    head.appendChild(tr);
    for (const k of Object.keys(s.kinds || {})) {
      const r = el('tr');
      const th = el('th', kindName(k)); th.scope = 'row'; r.appendChild(th);
      for (const [, key] of cols) r.appendChild(el('td', s.kinds[k][key]));
      if (s.kinds[k].note) r.title = s.kinds[k].note;
      body.appendChild(r);
    }
    $('job-table').hidden = false;
  }
  async function stage(e) {
    current.state = e.state;
    current.stage = e.stage;
    current.next = e.next;
    current.message = e.message;
    if (e.state !== 'running') {
      $('job-now').textContent = '';
      // The stream goes on to its end (a replay has later steps); the
      // server then ends it and answers the reconnect with 204.
      try { current = (await api('GET', '/api/jobs/' + current.id)).job; } catch (x) { /* keep */ }
      loadJobs();
    }
    render();
  }

  // ---- what the person can do now ------------------------------------------------
  function field(prefix, label, type, value) {
    const box = $('job-next-fields');
    const id = 'next-' + prefix;
    box.appendChild(el('label', label)).htmlFor = id;
    const i = el('input');
    i.id = id; i.type = type; i.value = value || ''; i.autocomplete = type === 'password' ? 'current-password' : 'off';
    box.appendChild(i);
  }
  const BUTTONS = { plan: 'Show the plan', run: 'Start', announce: 'Tell my contacts', check: 'Check the file again' };
  function render() {
    const j = current;
    const msg = j.message ? ' ' + j.message : '';
    $('job-status').textContent = STATES[j.state] + (j.state === 'running' ? ': ' + (j.type === 'export' && j.stage === 'run' ? 'making the file' : STEPS[j.stage] || j.stage) + '…' : '.') + msg;
    $('job-status').className = j.state === 'failed' ? 'bad' : j.state === 'done' ? 'ok' : '';
    $('job-stop').hidden = j.state !== 'running';
    $('job-delete').hidden = j.state === 'running';
    const dl = j.download;
    $('job-download').hidden = !dl;
    if (dl) {
      $('job-download-link').href = dl.href;
      $('job-download-size').textContent = '(' + Math.max(1, Math.round(dl.size / 1024)) + ' KiB)';
    }
    $('job-history').hidden = !j.history;
    if (j.history) $('job-history-link').href = j.history;
    $('job-history-make').hidden = !(dl && !j.history && j.state !== 'running');
    const form = $('job-next');
    const box = $('job-next-fields');
    box.textContent = '';
    form.hidden = !(j.next && j.state !== 'running');
    $('job-finish').hidden = !(j.next === 'announce' && j.state === 'waiting');
    if (form.hidden) return;
    $('job-next-button').textContent = j.state === 'waiting' ? (j.type === 'import' && j.next === 'run' ? 'Import now' : j.type === 'migrate' && j.next === 'run' ? 'Start the move' : BUTTONS[j.next] || 'Continue') : 'Run it again (it goes on where it stopped)';
    if (j.type === 'import' && j.next === 'plan') {
      field('jid', 'Address of the account to import into', 'text', j.account ? j.account.jid : '');
      field('password', 'Its password', 'password');
      field('host', 'Server host name (rarely needed)', 'text', j.account ? j.account.host : '');
      field('port', 'Port (rarely needed)', 'text', j.account && j.account.port ? j.account.port : '');
      return;
    }
    for (const [key, label] of [['old', 'Password of ' + (j.old ? j.old.jid : '')], ['new', 'Password of ' + (j.new ? j.new.jid : '')], ['account', 'Password of ' + (j.account ? j.account.jid : '')]]) {
      if (j[key] && !j[key].password_held && !(j.type === 'import' && j.next === 'check')) field(key, label, 'password');
    }
  }
  $('job-next').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    notice('');
    const j = current;
    const body = { step: j.next };
    const v = (id) => ($(id) ? $(id).value : '');
    if (j.type === 'import' && j.next === 'plan') {
      body.account = { jid: v('next-jid').trim(), password: v('next-password') };
      if (v('next-host').trim()) body.account.host = v('next-host').trim();
      if (v('next-port').trim()) body.account.port = Number(v('next-port').trim());
    } else {
      for (const key of ['old', 'new', 'account']) if ($('next-' + key)) body[key] = { password: v('next-' + key) };
    }
    for (const i of $('job-next-fields').querySelectorAll('input[type=password]')) i.value = '';
    try {
      current = (await api('POST', '/api/jobs/' + j.id + '/next', body)).job;
      render();
      listen();
    } catch (e) { notice(e.message + '.'); }
  });
  $('job-history-make').addEventListener('click', async () => {
    try {
      current = (await api('POST', '/api/jobs/' + current.id + '/next', { step: 'history' })).job;
      render();
      listen();
    } catch (e) { notice(e.message + '.'); }
  });
  $('job-finish').addEventListener('click', async () => {
    try { current = (await api('POST', '/api/jobs/' + current.id + '/next', { step: 'finish' })).job; render(); loadJobs(); } catch (e) { notice(e.message + '.'); }
  });
  $('job-stop').addEventListener('click', async () => {
    try { await api('DELETE', '/api/jobs/' + current.id); } catch (e) { notice(e.message + '.'); }
  });
  $('job-delete').addEventListener('click', async () => {
    if (!window.confirm('Delete this work and its files from this computer?')) return;
    try { await api('DELETE', '/api/jobs/' + current.id); } catch (e) { notice(e.message + '.'); return; }
    closeJob();
    loadJobs();
  });
  function closeJob() {
    if (source) { source.close(); source = null; }
    current = null;
    $('job').hidden = true;
    history.replaceState(null, '', '#');
  }
  $('job-close').addEventListener('click', closeJob);

  // ---- a reload finds its work ----------------------------------------------------
  (async () => {
    const jobs = await loadJobs();
    const m = /job=([A-Za-z0-9_-]+)/.exec(location.hash);
    const j = m ? jobs.find((x) => x.id === m[1]) : jobs.find((x) => x.state === 'running');
    if (j) show(j);
  })();
}());
