// xporta serve, portal mode: the login page.  The password goes to the
// portal, which asks the account's own server (SASL); errors in words.
'use strict';
(function () {
  const form = document.getElementById('login-form');
  const notice = document.getElementById('notice');
  const button = document.getElementById('login-submit');
  function say(words) {
    notice.textContent = words;
    notice.hidden = false;
    notice.focus();
  }
  notice.tabIndex = -1;
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    const jid = document.getElementById('login-jid').value.trim();
    const pw = document.getElementById('login-password');
    if (!jid || !pw.value) {
      say('Give your chat address and your password.');
      return;
    }
    button.disabled = true;
    notice.hidden = true;
    try {
      const r = await fetch('/api/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jid: jid, password: pw.value })
      });
      if (r.ok) {
        pw.value = '';
        location.assign('/');
        return;
      }
      let words = 'The login did not work.';
      try { words = (await r.json()).error || words; } catch (e) { /* none */ }
      say(words.charAt(0).toUpperCase() + words.slice(1) + '.');
    } catch (e) {
      say('The portal could not be reached: check your connection.');
    } finally {
      button.disabled = false;
    }
  });
})();
