/*
 * squarelocal's stand-in for Square's Web Payments SDK (v1/square.js).
 *
 * It offers the part of the SDK that saving a card on file needs:
 *
 *   const payments = Square.payments(applicationId, locationId);
 *   const card = await payments.card();
 *   await card.attach('#card-container');
 *   const result = await card.tokenize();
 *   // result.status === 'OK': result.token is 'cnon:…' for CreateCard
 *
 * and Strong Customer Authentication, the SDK's current way and the
 * deprecated one:
 *
 *   const result = await card.tokenize({intent: 'STORE', billingContact: {…}, sellerKeyedIn: true});
 *   const {token} = await payments.verifyBuyer(result.token, {intent: 'STORE', billingContact: {}});
 *
 * Cards whose bank requires it (the sandbox's SCA test cards) are verified
 * without asking the buyer, or with a challenge: a dialog that asks for
 * the code 123456, unless the seller keyed the card in. CreateCard refuses
 * such a card unless it was verified.
 *
 * Square's SDK draws its fields in an iframe from Square's origin. This one
 * puts plain labelled inputs into the page instead, styled by the page's
 * own CSS (class names start with "sq-"). The inputs have no name
 * attribute, so a surrounding form never submits what is typed in them.
 * Only Square's sandbox test card numbers are accepted, and the card number
 * never leaves the browser: tokenize() builds the token right here from the
 * brand, the first six and last four digits, the expiry and the postal
 * code, and the emulator's CreateCard reads it back (cardtokens.go mirrors
 * this file: same checks, same messages, same token).
 *
 * No eval, no Function constructor, no inline handlers and no style
 * attributes: it runs under a strict Content-Security-Policy. It makes no
 * requests, so it works from any path.
 */
(function () {
  'use strict';

  // Square's sandbox test cards; keep in step with testCards in cardtokens.go.
  // An outcome is what CreateCard will do with the card: these numbers
  // tokenize like any other, as Square's SDK cannot know either.
  const TEST_CARDS = {
    '4111111111111111': { brand: 'VISA', cvv: 3 },
    '5105105105105100': { brand: 'MASTERCARD', cvv: 3 },
    '6011000000000004': { brand: 'DISCOVER', cvv: 3 },
    '30000000000004': { brand: 'DISCOVER_DINERS', cvv: 3 },
    '3569990010095841': { brand: 'JCB', cvv: 3 },
    '340000000000009': { brand: 'AMERICAN_EXPRESS', cvv: 4 },
    '6222988812340000': { brand: 'CHINA_UNIONPAY', cvv: 3 },
    '4000000000000002': { brand: 'VISA', cvv: 3, outcome: 'declined' },
    '4000000000000010': { brand: 'VISA', cvv: 3, outcome: 'verification_required' },
    // The sandbox's SCA test cards: how each card's bank verifies the buyer.
    '4800000000000004': { brand: 'VISA', cvv: 3, sca: 'frictionless' },
    '5222220000000005': { brand: 'MASTERCARD', cvv: 3, sca: 'frictionless' },
    '6011000000201016': { brand: 'DISCOVER', cvv: 3, sca: 'frictionless' },
    '5248480000210034': { brand: 'MASTERCARD', cvv: 3, sca: 'challenge' },
    '4811110000000008': { brand: 'VISA', cvv: 3, sca: 'failed' },
  };
  // The code a challenge card's bank accepts, as in Square's sandbox.
  const CHALLENGE_CODE = '123456';
  const INTENTS = ['CHARGE', 'STORE', 'CHARGE_AND_STORE'];

  const FIELDS = [
    { key: 'cardNumber', label: 'Card number', autocomplete: 'cc-number', inputmode: 'numeric', maxlength: 23 },
    { key: 'expirationDate', label: 'Expiration', autocomplete: 'cc-exp', inputmode: 'numeric', maxlength: 7, placeholder: 'MM/YY', hint: 'MM/YY' },
    { key: 'cvv', label: 'CVV', autocomplete: 'cc-csc', inputmode: 'numeric', maxlength: 4 },
    { key: 'postalCode', label: 'Postal code', autocomplete: 'postal-code', maxlength: 10 },
  ];

  const APPLICATION_ID = /^(sandbox-)?sq0id[a-z]-[A-Za-z0-9_-]+$/;
  const TOKEN_VERSION = 1;

  let instances = 0;

  function squareError(name, message) {
    const e = new Error(message);
    e.name = name;
    return e;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const name of Object.keys(attrs)) {
      node.setAttribute(name, attrs[name]);
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function luhn(number) {
    let sum = 0;
    let double = false;
    for (let i = number.length - 1; i >= 0; i--) {
      let d = number.charCodeAt(i) - 48;
      if (double) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      double = !double;
    }
    return sum % 10 === 0;
  }

  // parseExpiry reads MM/YY, MM/YYYY or MMYY (spaces ignored).
  function parseExpiry(value) {
    const v = value.replace(/ /g, '');
    const m = /^(\d{1,2})\/(\d{2}|\d{4})$/.exec(v) || /^(\d{2})(\d{2})$/.exec(v);
    if (!m) {
      return null;
    }
    const month = parseInt(m[1], 10);
    let year = parseInt(m[2], 10);
    if (m[2].length === 2) {
      year += 2000;
    }
    return month >= 1 && month <= 12 ? { month: month, year: year } : null;
  }

  // A card works until the end of its expiry month.
  function expired(exp, now) {
    const year = now.getFullYear();
    return exp.year < year || (exp.year === year && exp.month < now.getMonth() + 1);
  }

  function base64url(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function randomNonce() {
    const bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return base64url(bytes);
  }

  // validateCard checks what was typed and describes the token to make:
  // {errors: [...]} or {errors: [], token: {...}}.
  function validateCard(values, now) {
    const errors = [];
    const fail = function (field, message) {
      errors.push({ type: 'VALIDATION_ERROR', field: field, message: message });
    };
    const number = values.cardNumber.replace(/[ -]/g, '');
    const card = Object.prototype.hasOwnProperty.call(TEST_CARDS, number) ? TEST_CARDS[number] : null;
    if (!card) {
      if (/^\d{12,19}$/.test(number) && luhn(number)) {
        fail('cardNumber', 'This is not a sandbox test card.');
      } else {
        fail('cardNumber', 'Card number is not valid.');
      }
    }
    const exp = parseExpiry(values.expirationDate);
    if (!exp) {
      fail('expirationDate', 'Expiration date is not valid.');
    } else if (expired(exp, now)) {
      fail('expirationDate', 'Expiration date is in the past.');
    }
    const cvv = values.cvv.trim();
    if (!/^\d+$/.test(cvv) || (card ? cvv.length !== card.cvv : cvv.length < 3 || cvv.length > 4)) {
      fail('cvv', 'CVV is not valid.');
    }
    const postal = values.postalCode.trim();
    if (postal === '') {
      fail('postalCode', 'Postal code is required.');
    } else if (!/^[A-Za-z0-9 -]{1,10}$/.test(postal)) {
      fail('postalCode', 'Postal code is not valid.');
    }
    if (errors.length > 0) {
      return { errors: errors };
    }
    let outcome = 'ok';
    if (card.outcome) {
      outcome = card.outcome;
    } else if (cvv === '911') {
      outcome = 'cvv';
    } else if (postal === '99999') {
      outcome = 'postal';
    } else if (exp.month === 1 && exp.year === 2040) {
      outcome = 'expiration';
    }
    return {
      errors: errors,
      token: {
        v: TOKEN_VERSION,
        brand: card.brand,
        bin: number.slice(0, 6),
        last4: number.slice(-4),
        exp_month: exp.month,
        exp_year: exp.year,
        postal: postal,
        outcome: outcome,
        nonce: randomNonce(),
      },
    };
  }

  function encodeToken(token) {
    return 'cnon:' + base64url(new TextEncoder().encode(JSON.stringify(token)));
  }

  // decodeToken reads back a token of this file; null for anything else.
  function decodeToken(source) {
    if (typeof source !== 'string' || source.slice(0, 5) !== 'cnon:') {
      return null;
    }
    try {
      const b64 = source.slice(5).replace(/-/g, '+').replace(/_/g, '/');
      const binary = atob(b64 + '==='.slice((b64.length + 3) % 4));
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) {
        bytes[i] = binary.charCodeAt(i);
      }
      const t = JSON.parse(new TextDecoder().decode(bytes));
      return t && typeof t === 'object' ? t : null;
    } catch (e) {
      return null;
    }
  }

  // cardOf is the test card a token stands for, or null.
  function cardOf(t) {
    for (const number of Object.keys(TEST_CARDS)) {
      const c = TEST_CARDS[number];
      if (t && number.slice(0, 6) === t.bin && number.slice(-4) === t.last4 && c.brand === t.brand) {
        return c;
      }
    }
    return null;
  }

  // checkVerificationDetails throws on details the SDK would refuse.
  function checkVerificationDetails(details) {
    const fail = function (message) {
      throw squareError('InvalidVerificationDetailsError', message);
    };
    if (!details || typeof details !== 'object') {
      fail('The verification details must be an object.');
    }
    if (INTENTS.indexOf(details.intent) < 0) {
      fail("The verification details need an intent: 'CHARGE', 'STORE' or 'CHARGE_AND_STORE'.");
    }
    if (!details.billingContact || typeof details.billingContact !== 'object') {
      fail('The verification details need a billingContact object (it may be empty).');
    }
    if (details.intent !== 'STORE' && (typeof details.amount !== 'string' || typeof details.currencyCode !== 'string')) {
      fail('A verification to charge needs an amount and a currencyCode.');
    }
    for (const flag of ['customerInitiated', 'sellerKeyedIn']) {
      if (details[flag] !== undefined && typeof details[flag] !== 'boolean') {
        fail('The verification detail ' + flag + ' must be true or false.');
      }
    }
  }

  // verify verifies the buyer of the card a token stands for, as the
  // card's bank would: 'ok' or 'failed', or null when the buyer cancelled
  // the challenge. userChallenged tells whether a challenge was shown.
  async function verify(t, details) {
    const card = cardOf(t);
    if (!card) {
      return { result: 'failed', userChallenged: false };
    }
    if (card.sca === 'failed') {
      return { result: 'failed', userChallenged: false };
    }
    if (card.sca !== 'challenge' || details.sellerKeyedIn === true) {
      return { result: 'ok', userChallenged: false };
    }
    const passed = await challenge();
    return passed === null ? null : { result: passed ? 'ok' : 'failed', userChallenged: true };
  }

  // challenge stands for the bank's challenge: a modal dialog that asks
  // for the code. It resolves to true for the right code, false after three
  // wrong ones, null when cancelled.
  function challenge() {
    return new Promise(function (resolve) {
      const dialog = el('dialog', { class: 'sq-challenge', 'aria-labelledby': 'sq-challenge-title', 'data-testid': 'sq-challenge' });
      const form = el('form', { method: 'dialog' });
      form.appendChild(el('h2', { id: 'sq-challenge-title' }, 'Verify it is you'));
      form.appendChild(el('p', {}, "Your bank sent you a code. (Square's sandbox: " + CHALLENGE_CODE + '.)'));
      form.appendChild(el('label', { for: 'sq-challenge-code' }, 'Code'));
      const input = el('input', { id: 'sq-challenge-code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', 'aria-describedby': 'sq-challenge-error' });
      form.appendChild(input);
      const error = el('p', { id: 'sq-challenge-error', class: 'sq-error', 'aria-live': 'polite' });
      form.appendChild(error);
      const verifyButton = el('button', { type: 'submit', value: 'verify' }, 'Verify');
      const cancelButton = el('button', { type: 'submit', value: 'cancel' }, 'Cancel');
      form.appendChild(verifyButton);
      form.appendChild(cancelButton);
      dialog.appendChild(form);
      let tries = 0;
      let outcome = null;
      form.addEventListener('submit', function (event) {
        const verifying = event.submitter === verifyButton;
        if (verifying && input.value.trim() !== CHALLENGE_CODE && ++tries < 3) {
          event.preventDefault();
          error.textContent = 'That code is not right. Try again.';
          input.focus();
          return;
        }
        if (verifying) {
          outcome = input.value.trim() === CHALLENGE_CODE;
        }
      });
      dialog.addEventListener('close', function () {
        dialog.remove();
        resolve(outcome);
      });
      document.body.appendChild(dialog);
      dialog.showModal();
      input.focus();
    });
  }

  class Card {
    constructor(options) {
      this._options = options || {};
      this._root = null;
      this._inputs = null;
      this._errors = null;
      this._listeners = new Map();
      this._destroyed = false;
    }

    // attach renders the card fields into an element or the element a CSS
    // selector names.
    async attach(target) {
      if (this._destroyed) {
        throw squareError('PaymentMethodDestroyedError', 'This card was destroyed.');
      }
      if (this._root) {
        throw squareError('PaymentMethodAlreadyAttachedError', 'This card is already attached.');
      }
      const container = typeof target === 'string' ? document.querySelector(target) : target;
      if (!container || container.nodeType !== 1) {
        throw squareError('ElementNotFoundError', 'No element was found for ' + String(target) + '.');
      }
      const prefix = 'sq-card-' + (++instances);
      const root = el('div', { class: 'sq-card', 'data-testid': 'sq-card' });
      this._inputs = {};
      this._errors = {};
      for (const f of FIELDS) {
        const id = prefix + '-' + f.key;
        const field = el('div', { class: 'sq-field sq-field-' + f.key });
        field.appendChild(el('label', { class: 'sq-label', for: id }, f.label));
        const describedBy = [];
        const attrs = {
          id: id,
          class: 'sq-input',
          type: 'text',
          autocomplete: f.autocomplete,
          maxlength: String(f.maxlength),
          spellcheck: 'false',
          autocapitalize: 'off',
          'data-field': f.key,
        };
        if (f.inputmode) {
          attrs.inputmode = f.inputmode;
        }
        if (f.placeholder) {
          attrs.placeholder = f.placeholder;
        }
        const input = el('input', attrs);
        field.appendChild(input);
        if (f.hint) {
          field.appendChild(el('span', { class: 'sq-hint', id: id + '-hint' }, f.hint));
          describedBy.push(id + '-hint');
        }
        const error = el('span', { class: 'sq-error', id: id + '-error', 'aria-live': 'polite', hidden: '' });
        field.appendChild(error);
        describedBy.push(id + '-error');
        input.setAttribute('aria-describedby', describedBy.join(' '));
        root.appendChild(field);
        this._inputs[f.key] = input;
        this._errors[f.key] = error;
      }
      if (this._options.postalCode) {
        this._inputs.postalCode.value = String(this._options.postalCode);
      }
      // Enter inside Square's iframe never submits the page's form; it
      // fires the card's "submit" event. Do the same here.
      root.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          this._emit('submit', {});
        }
      });
      container.appendChild(root);
      this._root = root;
    }

    // tokenize checks the fields and makes a single-use card token. With
    // verification details it verifies the buyer too, and the token says
    // how that went.
    async tokenize(verificationDetails) {
      if (verificationDetails !== undefined) {
        checkVerificationDetails(verificationDetails);
      }
      if (!this._inputs) {
        return { status: 'Error', errors: [{ type: 'UNKNOWN', message: 'The card is not attached.' }] };
      }
      const values = {};
      for (const key of Object.keys(this._inputs)) {
        values[key] = this._inputs[key].value;
      }
      const result = validateCard(values, new Date());
      this._showErrors(result.errors);
      if (result.errors.length > 0) {
        this._inputs[result.errors[0].field].focus();
        return { status: 'Invalid', errors: result.errors };
      }
      const t = result.token;
      if (verificationDetails !== undefined) {
        const v = await verify(t, verificationDetails);
        if (v === null) {
          return { status: 'Cancel', errors: [{ type: 'VERIFICATION_CANCELLED', message: 'The verification was cancelled.' }] };
        }
        t.verified = v.result;
      }
      return {
        status: 'OK',
        token: encodeToken(t),
        details: {
          method: 'Card',
          card: { brand: t.brand, last4: t.last4, expMonth: t.exp_month, expYear: t.exp_year },
          billing: { postalCode: t.postal },
        },
      };
    }

    async focus(field) {
      const input = this._inputs && this._inputs[field];
      if (!input) {
        return false;
      }
      input.focus();
      return true;
    }

    async destroy() {
      if (this._root && this._root.parentNode) {
        this._root.parentNode.removeChild(this._root);
      }
      this._root = null;
      this._inputs = null;
      this._errors = null;
      this._listeners.clear();
      this._destroyed = true;
      return true;
    }

    addEventListener(type, listener) {
      if (typeof listener !== 'function') {
        return;
      }
      if (!this._listeners.has(type)) {
        this._listeners.set(type, new Set());
      }
      this._listeners.get(type).add(listener);
    }

    removeEventListener(type, listener) {
      const set = this._listeners.get(type);
      if (set) {
        set.delete(listener);
      }
    }

    _emit(type, detail) {
      const set = this._listeners.get(type);
      if (!set) {
        return;
      }
      for (const listener of Array.from(set)) {
        try {
          listener(new CustomEvent(type, { detail: detail }));
        } catch (e) {
          console.error(e);
        }
      }
    }

    _showErrors(errors) {
      for (const key of Object.keys(this._inputs)) {
        const found = errors.find((e) => e.field === key);
        const input = this._inputs[key];
        const error = this._errors[key];
        if (found) {
          input.setAttribute('aria-invalid', 'true');
          input.classList.add('sq-invalid');
          error.textContent = found.message;
          error.hidden = false;
        } else {
          input.removeAttribute('aria-invalid');
          input.classList.remove('sq-invalid');
          error.textContent = '';
          error.hidden = true;
        }
      }
    }
  }

  class Payments {
    constructor(applicationId, locationId) {
      this.applicationId = applicationId;
      this.locationId = locationId;
    }

    async card(options) {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw squareError('InvalidOptionsError', 'The card options must be an object.');
      }
      return new Card(options);
    }

    // verifyBuyer is the deprecated way to verify the buyer: the
    // verification token it gives goes with the card token to CreateCard.
    // A card on file (ccof:) is not verified again here.
    async verifyBuyer(source, details) {
      if (typeof source !== 'string' || !/^(cnon|ccof):/.test(source)) {
        throw squareError('InvalidSourceError', 'verifyBuyer needs a card token or a card on file id.');
      }
      checkVerificationDetails(details);
      const t = decodeToken(source);
      const v = t ? await verify(t, details) : { result: 'ok', userChallenged: false };
      if (v === null) {
        throw squareError('VerificationCancelledError', 'The buyer cancelled the verification.');
      }
      const body = { v: TOKEN_VERSION, nonce: t ? String(t.nonce) : randomNonce(), intent: details.intent, result: v.result };
      return { token: 'verf:' + base64url(new TextEncoder().encode(JSON.stringify(body))), userChallenged: v.userChallenged };
    }
  }

  // payments throws at once on a bad application id, as Square's does.
  function payments(applicationId, locationId) {
    if (typeof applicationId !== 'string' || !APPLICATION_ID.test(applicationId)) {
      throw squareError('InvalidApplicationIdError', "The Payment 'applicationId' option is not in the correct format.");
    }
    if (locationId !== undefined && (typeof locationId !== 'string' || locationId.trim() === '')) {
      throw squareError('InvalidLocationIdError', "The Payment 'locationId' option is not in the correct format.");
    }
    return new Payments(applicationId, locationId);
  }

  window.Square = Object.freeze({ payments: payments });
})();
