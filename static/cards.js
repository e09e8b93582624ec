// The card page of Tessera: it attaches Square's card form (the Web
// Payments SDK, or squarelocal's stand-in in local mode; the page loads
// the right one), turns the card into a one-time token in the browser when
// Save card is pressed, and posts that token with the cardholder name and
// the billing postal code. Card numbers never reach Tessera.
//
// Square's card form also verifies the buyer while it tokenizes, where the
// card's bank requires it (Strong Customer Authentication): with the
// customer's contact as the billing contact, and as keyed in by the seller,
// since staff type the card in for the customer. The token it gives is
// then already verified.
//
// Every press makes a fresh token: a token is good for one try, and a try
// that Square refused leaves the page as it was, ready for another. The
// button is disabled from the press until the answer, so a double click
// sends one request; the idempotency key the page carries makes a repeat
// that does get through store the card once.
//
// No eval, no inline handlers: the CSP allows neither.
(function () {
  'use strict';

  // The names Square's errors give the card form's fields, in words.
  var FIELD_LABELS = {
    cardNumber: 'Card number',
    expirationDate: 'Expiration date',
    cvv: 'CVV',
    postalCode: 'Postal code',
  };

  function setup(form) {
    var button = form.querySelector('button[type="submit"]');
    var loading = document.querySelector('[data-card-loading]');
    var loadError = document.querySelector('[data-card-load-error]');
    var fieldErrors = form.querySelector('[data-card-field-errors]');
    var card = null;
    var busy = false;

    // The form shows at once, so Square's fields get their size, but
    // Save card waits for them.
    form.hidden = false;
    button.disabled = true;
    loading.hidden = false;
    attach(form).then(function (attached) {
      card = attached;
      loading.hidden = true;
      button.disabled = false;
      // Enter inside Square's card fields fires the card's own submit
      // event, never the page form's.
      card.addEventListener('submit', function () {
        if (!busy) form.requestSubmit(button);
      });
    }, function (err) {
      loading.hidden = true;
      form.hidden = true;
      loadError.hidden = false;
      console.error('Square card form:', err);
    });

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (busy || !card) return;
      busy = true;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      save(form, card, fieldErrors).then(function (leaving) {
        // On success the browser is on its way to the profile: the button
        // stays disabled so that nothing is sent twice meanwhile.
        if (!leaving) done();
      }, function (err) {
        console.error('Saving the card:', err);
        showFieldErrors(fieldErrors, [], 'The card could not be sent. Check your connection and press Save card again.');
        done();
      });
    });

    function done() {
      busy = false;
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  // attach starts Square's card form in #card-container with the ids of
  // the page, and puts back the postal code of an earlier try.
  async function attach(form) {
    if (!window.Square) {
      throw new Error('Square.js did not load');
    }
    var payments = window.Square.payments(form.dataset.applicationId, form.dataset.locationId || undefined);
    var options = {};
    if (form.dataset.postalCode) {
      options.postalCode = form.dataset.postalCode;
    }
    var card = await payments.card(options);
    await card.attach('#card-container');
    return card;
  }

  // save tokenizes the card and posts the token; it resolves to true when
  // the server sends the browser elsewhere (the card was stored).
  async function save(form, card, fieldErrors) {
    clearProblems(form, fieldErrors);
    var result = await card.tokenize(verificationDetails(form));
    if (result.status === 'Cancel' || result.status === 'Abort') {
      showFieldErrors(fieldErrors, [],
        "The card's bank did not finish verifying the cardholder, so the card was not saved. Press Save card again to start afresh.");
      return false;
    }
    if (result.status !== 'OK') {
      showFieldErrors(fieldErrors, result.errors || [],
        result.status === 'Invalid' ? '' : "Square's card form could not read the card. Check the details and press Save card again.");
      return false;
    }
    var billing = result.details && result.details.billing;
    form.elements.namedItem('source_id').value = result.token;
    form.elements.namedItem('postal_code').value = (billing && billing.postalCode) || '';
    if (!window.htmx) {
      // Without htmx the page posts and comes back whole.
      form.submit();
      return true;
    }
    var leaving = false;
    var onAnswer = function (e) {
      var xhr = e.detail.xhr;
      leaving = Boolean(xhr && xhr.getResponseHeader('HX-Redirect'));
    };
    form.addEventListener('htmx:afterRequest', onAnswer);
    try {
      // A refused try swaps in the message and a new idempotency key; a
      // failure of Square lands in #alerts (see the htmx config).
      await window.htmx.ajax('POST', form.getAttribute('action'), {
        source: form,
        target: '#card-form-result',
        swap: 'innerHTML',
      });
    } finally {
      form.removeEventListener('htmx:afterRequest', onAnswer);
      // A token is good for one try: the next press makes a new one.
      form.elements.namedItem('source_id').value = '';
    }
    return leaving;
  }

  // verificationDetails are what Square's card form verifies the buyer
  // with: storing a card, keyed in by staff for the customer, whose contact
  // the page carries.
  function verificationDetails(form) {
    var contact = {};
    try {
      var parsed = JSON.parse(form.elements.namedItem('billing_contact').value);
      if (parsed && typeof parsed === 'object') contact = parsed;
    } catch (e) {
      // No contact: the bank gets less to go on, and may still verify.
    }
    return { intent: 'STORE', billingContact: contact, customerInitiated: true, sellerKeyedIn: true };
  }

  // clearProblems removes the messages of the previous try.
  function clearProblems(form, fieldErrors) {
    fieldErrors.hidden = true;
    fieldErrors.replaceChildren();
    var old = form.querySelector('#card-form-result .alert');
    if (old) old.remove();
    var alerts = document.getElementById('alerts');
    if (alerts) alerts.replaceChildren();
  }

  // showFieldErrors lists the card form's own errors ({field, message})
  // under it, or a general message.
  function showFieldErrors(box, errors, general) {
    var intro = document.createElement('p');
    intro.textContent = general || 'Check the card details:';
    box.replaceChildren(intro);
    if (errors.length > 0) {
      var list = document.createElement('ul');
      errors.forEach(function (err) {
        var item = document.createElement('li');
        var label = FIELD_LABELS[err.field];
        item.textContent = label ? label + ': ' + err.message : err.message;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.hidden = false;
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.querySelector('form[data-card-form]');
    if (form) setup(form);
  });
})();
