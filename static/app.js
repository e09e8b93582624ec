// Tessera's own script. Every page works without it; it only adds focus
// management, <dialog> confirmations, a message when an htmx request fails
// without an answer we can show, a progress bar for slow pages, the
// prefetch of the profile a person is about to open, and htmx itself on a
// page that loads it on demand. No eval, no inline handlers: the CSP
// allows neither.
(function () {
  'use strict';

  // focusFirstError focuses, inside root, the element marked
  // data-focus-first-error when it is focusable (an error summary with
  // tabindex="-1"), else the first invalid field inside it.
  function focusFirstError(root) {
    if (!root || !root.querySelector) return;
    var marked = root.matches && root.matches('[data-focus-first-error]')
      ? root : root.querySelector('[data-focus-first-error]');
    if (!marked) return;
    var target = marked.hasAttribute('tabindex')
      ? marked : marked.querySelector('[aria-invalid="true"]') || marked;
    if (!target.hasAttribute('tabindex') && target.tabIndex < 0) target.setAttribute('tabindex', '-1');
    target.focus();
  }

  // showAlert puts a generic error into the alert region, for failures that
  // brought no alert of ours: a network error, or a proxy's error page.
  function showAlert(text) {
    var region = document.getElementById('alerts');
    if (!region) return;
    var alert = document.createElement('div');
    alert.className = 'alert alert-error';
    alert.setAttribute('role', 'alert');
    alert.setAttribute('data-testid', 'alert');
    var p = document.createElement('p');
    p.textContent = text;
    alert.appendChild(p);
    region.replaceChildren(alert);
  }

  // htmxOnDemand is the URL of htmx on a page that loads it at the first
  // interaction (Layout.HTMXOnDemand), not with the page.
  var htmxOnDemand = document.body.getAttribute('data-htmx');

  // Controls marked data-js-only (the directory's "Load more") work only
  // through htmx: they start hidden and are shown once htmx is there, or
  // at once where htmx comes on demand (a click on one loads htmx first).
  function showScripted() {
    if (!window.htmx && !htmxOnDemand) return;
    document.querySelectorAll('[data-js-only][hidden]').forEach(function (el) {
      el.hidden = false;
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    focusFirstError(document);
    showScripted();
  });
  document.addEventListener('htmx:afterSettle', function (e) {
    focusFirstError(e.target);
    showScripted();
  });

  // The htmx config swaps error answers into #alerts, keeping only their
  // .alert element; when none came, say so rather than fail silently.
  document.addEventListener('htmx:responseError', function (e) {
    var region = document.getElementById('alerts');
    if (region && !region.querySelector('.alert')) {
      showAlert('Something went wrong (HTTP ' + e.detail.xhr.status + '). Please try again.');
    }
  });
  document.addEventListener('htmx:sendError', function () {
    showAlert('Tessera could not be reached. Check your connection and try again.');
  });

  // Without JS, a [data-confirm-dialog] link or button leads to a
  // confirmation page; with JS, it opens the named <dialog> instead.
  document.addEventListener('click', function (e) {
    if (!(e.target instanceof Element)) return;
    // A control that only htmx serves, clicked before htmx came, is
    // clicked again once it is there.
    var scripted = htmxOnDemand && !window.htmx && e.target.closest('[data-js-only]');
    if (scripted) {
      e.preventDefault();
      pendingClick = scripted;
      loadHTMX();
      return;
    }
    var opener = e.target.closest('[data-confirm-dialog]');
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute('data-confirm-dialog'));
      if (dialog instanceof HTMLDialogElement && !dialog.open) {
        e.preventDefault();
        dialog.showModal();
      }
      return;
    }
    var closer = e.target.closest('[data-close-dialog]');
    if (closer && closer.closest('dialog')) {
      closer.closest('dialog').close();
      return;
    }
    // On a phone-sized screen the directory's filters fold behind a button.
    var toggle = e.target.closest('.filters-toggle');
    if (toggle) {
      var open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      var panel = document.getElementById(toggle.getAttribute('aria-controls'));
      if (panel) panel.classList.toggle('is-open', open);
      return;
    }
    // A link in an error summary focuses its field, not just scrolls to it.
    var link = e.target.closest('.error-summary a[href^="#"]');
    if (link) {
      var field = document.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)));
      if (field) {
        e.preventDefault();
        field.focus();
      }
    }
  });

  // A confirmed action submitted with htmx from inside a dialog closes it.
  document.addEventListener('htmx:afterRequest', function (e) {
    var dialog = e.target instanceof Element && e.target.closest('dialog[open]');
    if (dialog && e.detail.successful) dialog.close();
  });

  // Progress: a page that a link or a plain form loads shows the bar at
  // the top once it has taken 150 ms (htmx requests show theirs already).
  var slow, leaving;
  function loading(on, restored) {
    clearTimeout(slow);
    leaving = on;
    if (on) disarm();
    var bar = document.getElementById('global-indicator');
    if (!bar) return;
    bar.classList.remove('loading');
    if (restored) bar.classList.remove('htmx-request');
    if (on) slow = setTimeout(function () { bar.classList.add('loading'); }, 150);
  }
  document.addEventListener('click', function (e) {
    var a = !e.defaultPrevented && !e.button && !(e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) &&
      e.target instanceof Element && e.target.closest('a[href]');
    if (a && a.origin === location.origin && !a.hasAttribute('download') && (!a.target || a.target === '_self') &&
      !(a.hash && a.pathname === location.pathname && a.search === location.search)) loading(true);
  });
  document.addEventListener('submit', function (e) {
    var t = (e.submitter && e.submitter.getAttribute('formtarget')) || e.target.target;
    if (!e.defaultPrevented && e.target.method !== 'dialog' && (!t || t === '_self')) loading(true);
  });
  // A page the back button brings back from the cache is not loading.
  window.addEventListener('pageshow', function (e) { loading(false, e.persisted); });

  // Prefetch: a directory row's link that the pointer moves onto and rests
  // on, or the focus stays on, for 100 ms, or that the mouse presses, gets
  // data-prefetch; the speculation rules added with the first one have the
  // browser fetch it, and the click shows that answer. Passing over rows
  // fetches nothing; a link is fetched once; a prefetch waits a second
  // after the last unless its link is being pressed.
  var nonce = document.currentScript && document.currentScript.nonce;
  var rules, armed, dwell, lastPrefetch = 0;
  function rowLink(t) {
    return t instanceof Element && t.closest('#customer-rows a[href]');
  }
  function prefetch(a) {
    if (a.hasAttribute('data-prefetch')) return;
    if (!rules) {
      rules = document.createElement('script');
      rules.type = 'speculationrules';
      rules.nonce = nonce;
      rules.textContent = '{"prefetch":[{"where":{"selector_matches":"a[data-prefetch]"},"eagerness":"immediate"}]}';
      document.head.appendChild(rules);
    }
    a.setAttribute('data-prefetch', '');
    lastPrefetch = Date.now();
  }
  function arm(e) {
    var a = !leaving && rowLink(e.target);
    if (a === armed) return;
    disarm();
    armed = a;
    if (a) (function wait(ms) {
      dwell = setTimeout(function () {
        var left = lastPrefetch + 1000 - Date.now();
        if (left > 0) wait(left); else prefetch(a);
      }, ms);
    })(100);
  }
  function disarm() {
    clearTimeout(dwell);
    armed = null;
  }
  // Live updates (live.js) come after the page has loaded: they are not
  // part of its first load.
  window.addEventListener('load', function () {
    var src = document.body.getAttribute('data-live');
    if (!src || !window.EventSource) return;
    var s = document.createElement('script');
    s.src = src;
    s.nonce = nonce;
    document.head.appendChild(s);
  });
  // htmx on demand: the first focus, press, touch or input on a form
  // control or a data-js-only one ("Load more") loads it, from the cache
  // where the page's prefetch put it. Links need no htmx, so moving the
  // pointer or the focus over the rows does not load it. Until it has
  // loaded, the page works as without JavaScript: links and GET forms.
  // Once it has, a GET form whose controls were changed meanwhile (a
  // search typed before htmx came) is submitted through htmx, as typing
  // would have, and a pending click on a data-js-only control is replayed.
  var htmxRequested = false, pendingClick = null;
  var interactions = ['focusin', 'pointerdown', 'touchstart', 'input', 'change'];
  var needsHTMX = 'input, select, textarea, button, [data-js-only]';
  function onInteraction(e) {
    if (e.target instanceof Element && e.target.closest(needsHTMX)) loadHTMX();
  }
  function loadHTMX() {
    if (htmxRequested || window.htmx) return;
    htmxRequested = true;
    interactions.forEach(function (type) {
      document.removeEventListener(type, onInteraction, true);
    });
    // htmx processes the page when it loads after the document is
    // complete, or on DOMContentLoaded; in between it would never start.
    if (document.readyState !== 'complete') {
      window.addEventListener('load', inject);
    } else {
      inject();
    }
  }
  function inject() {
    var s = document.createElement('script');
    s.src = htmxOnDemand;
    s.nonce = nonce;
    s.onload = function () {
      showScripted();
      Array.prototype.forEach.call(document.querySelectorAll('form[hx-get]'), function (form) {
        if (Array.prototype.some.call(form.elements, changed)) form.requestSubmit();
      });
      if (pendingClick && pendingClick.isConnected) window.htmx.trigger(pendingClick, 'click');
      pendingClick = null;
    };
    document.head.appendChild(s);
  }
  // changed says whether a form control holds something else than the page
  // gave it.
  function changed(el) {
    if (el.type === 'checkbox' || el.type === 'radio') return el.checked !== el.defaultChecked;
    if (el.tagName === 'SELECT' && !el.multiple) {
      // With no option marked selected, the first is the default.
      var d = 0;
      for (var i = 0; i < el.options.length; i++) if (el.options[i].defaultSelected) d = i;
      return el.options.length > 0 && el.selectedIndex !== d;
    }
    if (el.tagName === 'SELECT') {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return 'defaultValue' in el && el.type !== 'submit' && el.type !== 'button' && el.value !== el.defaultValue;
  }
  // htmx keeps no history: going back to an address it pushed reloads the
  // page (refreshOnHistoryMiss). Before htmx has come, the same.
  window.addEventListener('popstate', function (e) {
    if (htmxOnDemand && !window.htmx && e.state && e.state.htmx) location.reload();
  });
  if (htmxOnDemand) {
    interactions.forEach(function (type) {
      document.addEventListener(type, onInteraction, { capture: true, passive: true });
    });
  }

  if (HTMLScriptElement.supports && HTMLScriptElement.supports('speculationrules')) {
    document.addEventListener('mousemove', arm);
    document.addEventListener('focusin', arm);
    document.addEventListener('mouseout', disarm);
    document.addEventListener('focusout', disarm);
    document.addEventListener('pointerdown', function (e) {
      var a = e.pointerType === 'mouse' && !e.button && rowLink(e.target);
      if (a) prefetch(a);
    });
  }
})();
