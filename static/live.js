// Live updates: the page listens to GET /events (Server-Sent Events) and,
// when a customer it shows changes elsewhere, fetches its own address again
// through the ordinary routes and takes what changed from that answer. The
// events carry only ids and field names; every value comes from Tessera's
// templates, so nothing here builds HTML from data. app.js loads this file
// after the page's load event, so the page's first load does not carry it.
// Without JavaScript, or without EventSource, pages stay as loaded.
(function () {
  'use strict';
  if (!window.EventSource || window.tesseraLive) return;
  window.tesseraLive = true;

  var path = location.pathname;
  var match = /^\/customers\/([^/]+)(\/edit)?$/.exec(path);
  var customer = match && match[1] !== 'new' && match[1] !== 'count' ? decodeURIComponent(match[1]) : '';
  var kind = document.getElementById('customer-rows') || document.getElementById('customer-results') ? 'directory'
    : customer && match[2] && document.querySelector('[data-testid="customer-form"]') ? 'edit'
      : customer && document.querySelector('[data-testid="customer-profile"]') ? 'profile' : '';
  if (!kind) return;

  // fetchPage gets an address as a full page, parsed; null when it did not
  // answer 200 (status tells which). The header tells the server that no
  // one will see this page, so it keeps its one-time messages (a "Card
  // removed." on its way to the page the person is being sent to).
  function fetchPage(url) {
    return fetch(url, {
      credentials: 'same-origin', cache: 'no-store',
      headers: { Accept: 'text/html', 'Tessera-Live-Refresh': '1' }
    })
      .then(function (res) {
        if (!res.ok) return { status: res.status, doc: null };
        return res.text().then(function (html) {
          return { status: res.status, doc: new DOMParser().parseFromString(html, 'text/html') };
        });
      });
  }

  // note puts a message into the alert region, once per key.
  function note(key, text, role, extra) {
    var region = document.getElementById('alerts');
    if (!region) return null;
    var old = region.querySelector('[data-live-note="' + key + '"]');
    if (old) old.remove();
    var box = document.createElement('div');
    box.className = 'alert ' + (role === 'alert' ? 'alert-error' : 'alert-info');
    box.setAttribute('role', role || 'status');
    box.setAttribute('data-live-note', key);
    box.setAttribute('data-testid', 'live-' + key);
    var p = document.createElement('p');
    p.textContent = text;
    box.appendChild(p);
    if (extra) box.appendChild(extra);
    region.appendChild(box);
    return box;
  }

  function badge(row, text, testid) {
    var cell = row.querySelector('th') || row.firstElementChild;
    if (!cell) return;
    var old = cell.querySelector('.live-badge');
    if (old) old.remove();
    var b = document.createElement('span');
    b.className = 'live-badge';
    b.setAttribute('data-testid', testid);
    b.textContent = ' (' + text + ')';
    b.style.fontWeight = 'normal';
    b.style.fontSize = '0.85em';
    cell.appendChild(b);
  }

  // ---- The directory ----------------------------------------------------

  var pending = {}, pendingTimer, newIDs = {};

  function rowOf(root, id) {
    return root.querySelector('#customer-rows tr[data-customer-id="' + CSS.escape(id) + '"]');
  }

  // refreshDirectory applies the pending changes from one fetch of the
  // page's own address (the search and filters the person chose).
  function refreshDirectory() {
    var changes = pending;
    pending = {};
    fetchPage(location.href).then(function (r) {
      if (!r.doc) return;
      Object.keys(changes).forEach(function (id) {
        var what = changes[id];
        var row = rowOf(document, id);
        var fresh = rowOf(r.doc, id);
        if (what === 'deleted') {
          if (row) markRemoved(row);
          return;
        }
        if (row && fresh) replaceRow(row, fresh);
        else if (row) updateFromProfile(row, id);
        else if (fresh) newIDs[id] = true;
      });
      offerNew();
    }).catch(function () {});
  }

  // updateFromProfile updates, from the customer's profile, the text of a
  // row that the view no longer lists where it stands (a new name under
  // the name order): the row stays where it is, as the person saw it.
  function updateFromProfile(row, id) {
    fetchPage('/customers/' + encodeURIComponent(id)).then(function (r) {
      if (r.status === 404) return markRemoved(row);
      if (!r.doc) return;
      if (row.matches(':hover')) {
        row.addEventListener('mouseleave', function () { updateFromProfile(row, id); }, { once: true });
        return;
      }
      var name = r.doc.querySelector('[data-testid="customer-name"]');
      var link = row.querySelector('[data-testid="cell-name"] a');
      if (name && link) link.textContent = name.textContent.trim();
      [['cell-company', 'detail-company_name'], ['cell-email', 'detail-email_address'],
        ['cell-phone', 'detail-phone_number']].forEach(function (p) {
        var cell = row.querySelector('[data-testid="' + p[0] + '"]');
        var d = r.doc.querySelector('[data-testid="' + p[1] + '"]');
        if (cell && d) cell.textContent = d.querySelector('.muted') ? '' : d.textContent.trim();
      });
      badge(row, 'updated', 'row-updated');
    }).catch(function () {});
  }

  function markRemoved(row) {
    row.setAttribute('data-removed', '');
    row.style.opacity = '0.55';
    row.style.textDecoration = 'line-through';
    badge(row, 'Removed', 'row-removed');
  }

  // replaceRow puts the new row in place of the old, at the same place; a
  // row under the pointer waits until the pointer leaves it, so that
  // nothing moves under a click.
  function replaceRow(row, fresh) {
    if (row.matches(':hover')) {
      row.addEventListener('mouseleave', function () {
        var current = rowOf(document, row.getAttribute('data-customer-id'));
        if (current === row) replaceRow(row, fresh);
      }, { once: true });
      return;
    }
    var copy = document.importNode(fresh, true);
    row.replaceWith(copy);
    badge(copy, 'updated', 'row-updated');
    if (window.htmx) window.htmx.process(copy);
  }

  // offerNew offers the customers that now match the view but are not
  // shown, in a bar that floats over the page, so that nothing reflows.
  function offerNew() {
    Object.keys(newIDs).forEach(function (id) { if (rowOf(document, id)) delete newIDs[id]; });
    var n = Object.keys(newIDs).length;
    var bar = document.getElementById('live-new');
    if (!n) {
      if (bar) bar.remove();
      return;
    }
    if (!bar) {
      bar = document.createElement('div');
      bar.id = 'live-new';
      bar.setAttribute('role', 'status');
      bar.setAttribute('data-testid', 'live-new');
      var s = bar.style;
      s.position = 'fixed';
      s.bottom = '1rem';
      s.left = '50%';
      s.transform = 'translateX(-50%)';
      s.zIndex = '10';
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'button';
      button.setAttribute('data-testid', 'live-show-new');
      button.addEventListener('click', showNew);
      bar.appendChild(button);
      document.body.appendChild(bar);
    }
    bar.firstChild.textContent = n + (n === 1 ? ' new customer' : ' new customers') + ' \u2014 show';
  }

  // showNew swaps in the view as it is now.
  function showNew() {
    fetchPage(location.href).then(function (r) {
      var fresh = r.doc && r.doc.getElementById('customer-results');
      var current = document.getElementById('customer-results');
      if (!fresh || !current) {
        location.reload();
        return;
      }
      var copy = document.importNode(fresh, true);
      current.replaceWith(copy);
      if (window.htmx) window.htmx.process(copy);
      newIDs = {};
      offerNew();
    }).catch(function () { location.reload(); });
  }

  // ---- A profile ----------------------------------------------------------

  function refreshProfile(ev) {
    if (ev.kind === 'deleted') return gone();
    fetchPage(location.href).then(function (r) {
      if (r.status === 404) return gone();
      if (!r.doc) return;
      var changed = false;
      ['[data-testid="customer-name"]', '[data-testid="customer-profile"]', '#cards'].forEach(function (sel) {
        var old = document.querySelector(sel), fresh = r.doc.querySelector(sel);
        if (!old || !fresh || shown(old) === shown(fresh)) return;
        var copy = document.importNode(fresh, true);
        old.replaceWith(copy);
        if (window.htmx) window.htmx.process(copy);
        changed = true;
      });
      // The page that made the change (or one loaded since) shows it
      // already: nothing to replace, nothing to say.
      if (!changed) return;
      note('updated', ev.elsewhere ? 'This customer was just changed in Square. The page shows the new details.'
        : 'This customer was just changed by someone else in Tessera. The page shows the new details.');
    }).catch(function () {});
  }

  // shown is what a section says, spaces aside.
  function shown(el) {
    return el.textContent.replace(/\s+/g, ' ').trim();
  }

  function gone() {
    var back = document.createElement('a');
    back.href = '/customers';
    back.textContent = 'Back to customers';
    note('deleted', 'This customer has been deleted. What this page shows no longer exists in Square.', 'alert', back);
  }

  // ---- The edit form --------------------------------------------------------

  var form = kind === 'edit' && document.querySelector('[data-testid="customer-form"]');
  var submitting = false;
  // theirs holds the values of the fields as last known to be in Square:
  // as the form was loaded, then as each change brought them.
  var theirs = {};
  function editable(el) {
    return el.name && el.type !== 'hidden' && el.type !== 'submit' && el.type !== 'button' && !/^_/.test(el.name);
  }
  function loadedValue(el) {
    if (el.tagName === 'SELECT') {
      for (var i = 0; i < el.options.length; i++) if (el.options[i].defaultSelected) return el.options[i].value;
      return el.options.length ? el.options[0].value : '';
    }
    return el.defaultValue;
  }
  function labelOf(el) {
    var label = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    var legend = !label && el.closest('fieldset') && el.closest('fieldset').querySelector('legend');
    return ((label || legend) ? (label || legend).textContent : el.name).trim();
  }
  if (form) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (editable(el)) theirs[el.name] = loadedValue(el);
    });
    form.addEventListener('submit', function () { submitting = true; });
  }

  function refreshEdit(ev) {
    if (submitting) return;
    if (ev.kind === 'deleted') {
      return note('changed', 'This customer has been deleted while you were editing it. Saving will not bring it back.', 'alert');
    }
    fetchPage(location.pathname).then(function (r) {
      if (r.status === 404) return note('changed', 'This customer has been deleted while you were editing it.', 'alert');
      var freshForm = r.doc && r.doc.querySelector('[data-testid="customer-form"]');
      if (!freshForm || submitting) return;
      var changed = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!editable(el)) return;
        var f = freshForm.elements.namedItem(el.name);
        if (!f || f.length && !f.tagName) return;
        var value = f.tagName === 'SELECT' ? loadedValue(f) : f.defaultValue;
        if (value !== theirs[el.name]) changed.push({ el: el, before: theirs[el.name], value: value });
      });
      if (!changed.length) return;
      showChanges(changed, ev);
    }).catch(function () {});
  }

  function showChanges(changed, ev) {
    var list = document.createElement('ul');
    changed.forEach(function (c) {
      var li = document.createElement('li');
      li.setAttribute('data-testid', 'live-changed-field');
      li.setAttribute('data-field', c.el.name);
      var strong = document.createElement('strong');
      strong.textContent = labelOf(c.el);
      li.appendChild(strong);
      var untouched = c.el.value === c.before;
      li.appendChild(document.createTextNode(': now \u201c' + c.value + '\u201d. '));
      if (untouched) {
        var use = document.createElement('button');
        use.type = 'button';
        use.className = 'button button-secondary';
        use.textContent = 'Use their value';
        use.setAttribute('data-testid', 'use-their-value');
        use.addEventListener('click', function () {
          c.el.value = c.value;
          c.el.dispatchEvent(new Event('input', { bubbles: true }));
          use.replaceWith(document.createTextNode('Taken.'));
        });
        li.appendChild(use);
      } else {
        li.appendChild(document.createTextNode('You changed this field too; saving will ask which to keep.'));
      }
      list.appendChild(li);
      theirs[c.el.name] = c.value;
    });
    var who = ev.elsewhere ? 'in Square' : 'by someone else in Tessera';
    var names = changed.map(function (c) { return labelOf(c.el); }).join(', ');
    var box = note('changed', 'This customer was changed ' + who + ' while you were editing it: ' + names + '.', 'alert', list);
    if (box) box.scrollIntoView({ block: 'nearest' });
  }

  // ---- The stream -------------------------------------------------------------

  var source = new EventSource('/events');
  // The page says when it listens, for tests and for anyone curious.
  source.addEventListener('open', function () { document.documentElement.setAttribute('data-live', 'open'); });
  source.addEventListener('end', function () {
    source.close();
    document.documentElement.setAttribute('data-live', 'ended');
  });
  window.addEventListener('pagehide', function () { source.close(); });
  source.addEventListener('reset', function () {
    // Events were missed: take everything afresh.
    if (kind === 'directory') {
      Array.prototype.forEach.call(document.querySelectorAll('#customer-rows tr[data-customer-id]'), function (row) {
        pending[row.getAttribute('data-customer-id')] = pending[row.getAttribute('data-customer-id')] || 'updated';
      });
      refreshDirectory();
    } else {
      onChange({ customer: customer, kind: 'updated' });
    }
  });
  source.addEventListener('change', function (e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    onChange(ev);
  });

  function onChange(ev) {
    if (kind === 'directory') {
      pending[ev.customer] = ev.kind === 'deleted' ? 'deleted' : pending[ev.customer] === 'deleted' ? 'deleted' : ev.kind;
      // Changes that come together are taken with one fetch.
      clearTimeout(pendingTimer);
      pendingTimer = setTimeout(refreshDirectory, 50);
      return;
    }
    if (ev.customer !== customer) return;
    if (kind === 'profile') refreshProfile(ev);
    else refreshEdit(ev);
  }
})();
