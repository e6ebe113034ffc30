// xporta serve, portal mode: the logged-in account on the page, its
// address filled in where only it may be used, and a way to log out.
'use strict';
(function () {
  const meta = document.querySelector('meta[name="xporta-account"]');
  const csrf = document.querySelector('meta[name="xporta-csrf"]');
  if (!meta) return;
  const jid = meta.content;
  const header = document.querySelector('header');
  const bar = document.createElement('p');
  bar.id = 'portal-account';
  bar.textContent = 'Logged in as ' + jid + '. ';
  const out = document.createElement('button');
  out.type = 'button';
  out.className = 'secondary';
  out.textContent = 'Log out';
  out.addEventListener('click', async function () {
    await fetch('/api/logout', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Xporta-CSRF': csrf ? csrf.content : '' },
      body: '{}'
    }).catch(function () {});
    location.assign('/login');
  });
  bar.appendChild(out);
  header.appendChild(bar);
  // Here a download is of this account only; the server is the portal's.
  const dl = document.getElementById('dl-jid');
  if (dl) { dl.value = jid; dl.readOnly = true; }
  // (the portal ignores a typed server: its own for this account, the
  // other one's found from its name)
  ['dl-host', 'dl-port', 'old-host', 'old-port', 'new-host', 'new-port'].forEach(function (id) {
    const f = document.getElementById(id);
    const box = f && (f.closest('details') || f.parentElement);
    if (box) box.hidden = true;
  });
  const old = document.getElementById('old-jid');
  if (old && !old.value) old.value = jid;
})();
