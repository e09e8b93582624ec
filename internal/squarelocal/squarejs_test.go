package squarelocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSquareJSIsServedAsCacheableJavaScript(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	rec := httptest.NewRecorder()
	mounted(s).ServeHTTP(rec, httptest.NewRequest("GET", "/squarelocal/v1/square.js", nil))
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/javascript; charset=utf-8" ||
		rec.Header().Get("Cache-Control") != "public, max-age=300" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET /v1/square.js = %d %v, want 200 JavaScript, cacheable for five minutes", rec.Code, rec.Header())
	}
	if !strings.Contains(body, "window.Square = Object.freeze({ payments: payments })") {
		t.Errorf("GET /v1/square.js does not define window.Square")
	}
	// Tessera's CSP forbids eval and inline styles; the page's forms must
	// never see the card number.
	for _, banned := range []string{"eval(", "new Function", "Function(", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
		".style", "'style'", "setAttribute('on", "name:", "fetch(", "XMLHttpRequest", "localStorage"} {
		if strings.Contains(body, banned) {
			t.Errorf("square.js contains %q", banned)
		}
	}

	req := httptest.NewRequest("GET", "/v1/square.js", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	again := httptest.NewRecorder()
	s.ServeHTTP(again, req)
	if again.Code != http.StatusNotModified || rec.Header().Get("ETag") == "" {
		t.Errorf("GET /v1/square.js with If-None-Match %q = %d, want 304", rec.Header().Get("ETag"), again.Code)
	}
}

func TestSquareJSListsTheTestCardsOfTheGoSide(t *testing.T) {
	re := regexp.MustCompile(`'(\d+)': \{ brand: '([A-Z_]+)', cvv: (\d)(?:, outcome: '([a-z_]+)')?(?:, sca: '([a-z]+)')? \}`)
	var js []string
	for _, m := range re.FindAllStringSubmatch(string(squareJSSource), -1) {
		js = append(js, fmt.Sprintf("%s %s %s %s %s", m[1], m[2], m[3], m[4], m[5]))
	}
	var golang []string
	for _, c := range testCards {
		golang = append(golang, fmt.Sprintf("%s %s %d %s %s", c.Number, c.Brand, c.CVVLen, c.Outcome, c.SCA))
	}
	if !slices.Equal(js, golang) {
		t.Errorf("TEST_CARDS in square.js = %q, want testCards of cardtokens.go %q", js, golang)
	}
}

// nodeHarness loads square.js into Node with a minimal DOM, types each case
// into a card form and prints what the script did.
const nodeHarness = `
class El {
  constructor(tag) { this.tagName = tag.toUpperCase(); this.nodeType = 1; this.attrs = {}; this.children = [];
    this.parentNode = null; this.textContent = ''; this.value = ''; this.listeners = {}; this.cls = new Set();
    const self = this; this.classList = { add(c) { self.cls.add(c); }, remove(c) { self.cls.delete(c); } }; }
  setAttribute(n, v) { this.attrs[n] = String(v); }
  removeAttribute(n) { delete this.attrs[n]; }
  get hidden() { return 'hidden' in this.attrs; }
  set hidden(v) { if (v) { this.attrs.hidden = ''; } else { delete this.attrs.hidden; } }
  appendChild(c) { c.parentNode = this; this.children.push(c); return c; }
  removeChild(c) { this.children = this.children.filter((x) => x !== c); c.parentNode = null; return c; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  focus() { document.activeElement = this; }
  all() { return [this].concat(...this.children.map((c) => c.all())); }
}
const containers = new Map();
globalThis.window = globalThis;
globalThis.document = { createElement: (t) => new El(t), querySelector: (s) => containers.get(s) || null, activeElement: null };
const [scriptPath, casesJSON] = process.argv.slice(-2);
require(scriptPath);
const cases = JSON.parse(casesJSON);
(async () => {
  const out = { badIds: [], results: [] };
  for (const id of ['', 'nope', 42, undefined, 'sq0idp-'] ) {
    try { Square.payments(id, 'L1'); out.badIds.push('no error'); } catch (e) { out.badIds.push(e.name); }
  }
  const payments = Square.payments('sandbox-sq0idb-tessera-local', 'L1');
  for (const c of cases) {
    const container = new El('div');
    containers.set('#card-container', container);
    const card = await payments.card();
    await card.attach('#card-container');
    for (const input of container.all().filter((e) => e.tagName === 'INPUT')) {
      input.value = c[input.attrs['data-field']];
    }
    const r = await card.tokenize(c.verify);
    if (c.verifyBuyer) {
      r.verification = (await payments.verifyBuyer(r.token, { intent: 'STORE', billingContact: {} })).token;
    }
    r.focused = document.activeElement ? document.activeElement.attrs['data-field'] : '';
    out.results.push(r);
    await card.destroy();
    if (container.children.length !== 0) { throw new Error('destroy left the form in the page'); }
  }
  const container = new El('div');
  const card = await payments.card({ postalCode: '12345' });
  await card.attach(container);
  const nodes = container.all();
  out.fields = nodes.filter((e) => e.tagName === 'INPUT').map((input) => ({
    attrs: input.attrs,
    value: input.value,
    label: nodes.filter((e) => e.tagName === 'LABEL' && e.attrs.for === input.attrs.id).map((e) => e.textContent).join('|'),
  }));
  out.styled = nodes.some((e) => 'style' in e.attrs || Object.keys(e.attrs).some((a) => a.startsWith('on')));
  let submitted = 0;
  card.addEventListener('submit', () => { submitted++; });
  let prevented = false;
  for (const fn of container.children[0].listeners.keydown || []) {
    fn({ key: 'Enter', preventDefault() { prevented = true; } });
  }
  out.submitted = submitted === 1 && prevented;
  out.verify = await payments.verifyBuyer(out.results[0].token, { intent: 'STORE', billingContact: {} });
  try { await payments.verifyBuyer('nope', { intent: 'STORE' }); out.verifyGarbage = 'no error'; } catch (e) { out.verifyGarbage = e.name; }
  try { await card.attach('#missing'); } catch (e) { out.attachTwice = e.name; }
  out.badDetails = [];
  for (const d of [null, 'STORE', { intent: 'KEEP', billingContact: {} }, { intent: 'STORE' },
    { intent: 'CHARGE', billingContact: {} }, { intent: 'STORE', billingContact: {}, sellerKeyedIn: 'yes' }]) {
    try { await card.tokenize(d); out.badDetails.push('no error'); } catch (e) { out.badDetails.push(e.name); }
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`

type jsCase struct {
	CardNumber     string `json:"cardNumber"`
	ExpirationDate string `json:"expirationDate"`
	CVV            string `json:"cvv"`
	PostalCode     string `json:"postalCode"`
	// Verify is passed to tokenize() as its verification details.
	Verify *jsVerify `json:"verify,omitempty"`
	// VerifyBuyer also calls the deprecated verifyBuyer() with the token.
	VerifyBuyer bool `json:"verifyBuyer,omitempty"`
}

type jsVerify struct {
	Intent         string         `json:"intent"`
	BillingContact map[string]any `json:"billingContact"`
	SellerKeyedIn  bool           `json:"sellerKeyedIn"`
}

type jsTokenResult struct {
	Status       string `json:"status"`
	Token        string `json:"token"`
	Verification string `json:"verification"`
	Focused      string `json:"focused"`
	Errors       []struct {
		Type, Field, Message string
	} `json:"errors"`
	Details struct {
		Card struct {
			Brand, Last4      string
			ExpMonth, ExpYear int
		} `json:"card"`
		Billing struct{ PostalCode string } `json:"billing"`
	} `json:"details"`
}

func TestSquareJSTokenizesLikeTheGoHelper(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; square.js is checked against cardtokens.go only where it is")
	}
	s := New(Options{CustomersPerMerchant: -1})
	exp := futureExpiry(s)
	// typed is a card as typed into the card form, tokenized without
	// verification.
	typed := func(number, exp, cvv, postal string) jsCase {
		return jsCase{CardNumber: number, ExpirationDate: exp, CVV: cvv, PostalCode: postal}
	}
	cases := []jsCase{
		typed("4111 1111 1111 1111", exp, "111", "98101"),
		typed("340000000000009", exp, "1111", "98101"),
		typed("340000000000009", exp, "111", "98101"),
		typed("6222988812340000", strings.ReplaceAll(exp, "/", ""), "123", "10435"),
		typed("4242424242424242", exp, "123", "98101"),
		typed("4111111111111112", exp, "123", "98101"),
		typed("4111111111111111", "13/30", "123", "98101"),
		typed("4111111111111111", fmt.Sprintf("01/%d", s.Now().Year()-1), "123", "98101"),
		typed("4111111111111111", exp, "12", "98101"),
		typed("4111111111111111", exp, "123", " "),
		typed("4111111111111111", exp, "123", "<b>"),
		typed("4111111111111111", exp, "911", "98101"),
		typed("4111111111111111", exp, "123", "99999"),
		typed("4111111111111111", "01/40", "123", "98101"),
		typed("4000000000000002", exp, "123", "98101"),
		typed("4000000000000010", exp, "123", "98101"),
		{CardNumber: "4800000000000004", ExpirationDate: exp, CVV: "123", PostalCode: "SW1A 1AA", Verify: &jsVerify{Intent: "STORE", BillingContact: map[string]any{}}},
		{CardNumber: "5248480000210034", ExpirationDate: exp, CVV: "123", PostalCode: "SW1A 1AA", Verify: &jsVerify{Intent: "STORE", BillingContact: map[string]any{"givenName": "Ada"}, SellerKeyedIn: true}},
		{CardNumber: "4811110000000008", ExpirationDate: exp, CVV: "123", PostalCode: "SW1A 1AA", Verify: &jsVerify{Intent: "STORE", BillingContact: map[string]any{}, SellerKeyedIn: true}},
		{CardNumber: "4800000000000004", ExpirationDate: exp, CVV: "123", PostalCode: "SW1A 1AA"},
		{CardNumber: "4800000000000004", ExpirationDate: exp, CVV: "123", PostalCode: "SW1A 1AA", VerifyBuyer: true},
		{CardNumber: "4811110000000008", ExpirationDate: exp, CVV: "123", PostalCode: "SW1A 1AA", VerifyBuyer: true},
	}
	in, _ := json.Marshal(cases)
	script, _ := filepath.Abs("square.js")
	cmd := exec.Command(node, "-e", nodeHarness, "--", script, string(in))
	raw, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("node: %v", err)
	}
	var out struct {
		BadIDs  []string        `json:"badIds"`
		Results []jsTokenResult `json:"results"`
		Fields  []struct {
			Attrs map[string]string `json:"attrs"`
			Value string            `json:"value"`
			Label string            `json:"label"`
		} `json:"fields"`
		Styled        bool           `json:"styled"`
		Submitted     bool           `json:"submitted"`
		Verify        map[string]any `json:"verify"`
		VerifyGarbage string         `json:"verifyGarbage"`
		AttachTwice   string         `json:"attachTwice"`
		BadDetails    []string       `json:"badDetails"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("node printed %s: %v", raw, err)
	}

	for i, c := range cases {
		got := out.Results[i]
		goTok, goErr := tokenizeCard(c.CardNumber, c.ExpirationDate, c.CVV, c.PostalCode, s.Now())
		if goErr == nil && c.Verify != nil {
			goTok.Verified = verifyBuyer(cardOf(goTok), VerificationDetails{Intent: c.Verify.Intent, SellerKeyedIn: c.Verify.SellerKeyedIn}, "")
		}
		var fe *CardFieldError
		if errors.As(goErr, &fe) {
			if got.Status != "Invalid" || len(got.Errors) == 0 || got.Errors[0].Field != fe.Field || got.Errors[0].Message != fe.Message ||
				got.Errors[0].Type != "VALIDATION_ERROR" || got.Focused != fe.Field {
				t.Errorf("tokenize(%+v) in square.js = %+v, want Invalid with %s: %s first and focused, as TestCardToken says", c, got, fe.Field, fe.Message)
			}
			continue
		}
		jsTok, ok := decodeCardToken(got.Token)
		if got.Status != "OK" || !ok {
			t.Errorf("tokenize(%+v) in square.js = %+v, want OK with a token the emulator reads", c, got)
			continue
		}
		jsTok.Nonce, goTok.Nonce = "", ""
		if *jsTok != *goTok {
			t.Errorf("tokenize(%+v): square.js token %+v, Go token %+v, want them equal", c, *jsTok, *goTok)
		}
		d := got.Details
		if d.Card.Brand != jsTok.Brand || d.Card.Last4 != jsTok.Last4 || d.Card.ExpMonth != jsTok.ExpMonth ||
			d.Card.ExpYear != jsTok.ExpYear || d.Billing.PostalCode != jsTok.Postal {
			t.Errorf("tokenize(%+v) details = %+v, want them to describe %+v", c, d, jsTok)
		}
	}

	for i, name := range out.BadIDs {
		if name != "InvalidApplicationIdError" {
			t.Errorf("Square.payments(bad id #%d) threw %q, want InvalidApplicationIdError", i, name)
		}
	}
	wantFields := []struct{ label, autocomplete, inputmode string }{
		{"Card number", "cc-number", "numeric"},
		{"Expiration", "cc-exp", "numeric"},
		{"CVV", "cc-csc", "numeric"},
		{"Postal code", "postal-code", ""},
	}
	if len(out.Fields) != len(wantFields) {
		t.Fatalf("card form inputs = %+v, want %d", out.Fields, len(wantFields))
	}
	for i, w := range wantFields {
		f := out.Fields[i]
		if f.Label != w.label || f.Attrs["autocomplete"] != w.autocomplete || f.Attrs["inputmode"] != w.inputmode ||
			!strings.HasPrefix(f.Attrs["class"], "sq-") || f.Attrs["name"] != "" || f.Attrs["aria-describedby"] == "" {
			t.Errorf("card form input %d = %+v, want label %q, autocomplete %s, inputmode %q, an sq- class and no name", i, f, w.label, w.autocomplete, w.inputmode)
		}
	}
	if out.Fields[3].Value != "12345" {
		t.Errorf("postal code with options.postalCode 12345 = %q, want it filled in", out.Fields[3].Value)
	}
	if out.Styled {
		t.Errorf("the card form has style or on* attributes")
	}
	if !out.Submitted {
		t.Errorf("Enter in the card form did not fire one submit event with the default prevented")
	}
	if tok, _ := out.Verify["token"].(string); !strings.HasPrefix(tok, "verf:") {
		t.Errorf("verifyBuyer = %v, want a verf: token", out.Verify)
	}
	for i, name := range out.BadDetails {
		if name != "InvalidVerificationDetailsError" {
			t.Errorf("tokenize(bad verification details #%d) threw %q, want InvalidVerificationDetailsError", i, name)
		}
	}
	if out.VerifyGarbage != "InvalidSourceError" || out.AttachTwice != "PaymentMethodAlreadyAttachedError" {
		t.Errorf("verifyBuyer(garbage) threw %q and attach twice threw %q, want InvalidSourceError and PaymentMethodAlreadyAttachedError", out.VerifyGarbage, out.AttachTwice)
	}

	// The emulator stores a card from the script's token.
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	c := mustCreateCard(t, e, e.tokA, createCardBody(out.Results[0].Token, cust.ID))
	if c.CardBrand != "VISA" || c.Last4 != "1111" {
		t.Errorf("CreateCard(square.js token) = %+v, want a Visa 1111", c)
	}

	// The emulator reads the verification the script made, either way.
	for i, c := range cases {
		if !strings.HasPrefix(c.CardNumber, "48") && !strings.HasPrefix(c.CardNumber, "52484") {
			continue
		}
		r := out.Results[i]
		body := createCardBody(r.Token, cust.ID)
		if r.Verification != "" {
			body["verification_token"] = r.Verification
		}
		verified := (c.Verify != nil || c.VerifyBuyer) && c.CardNumber != "4811110000000008"
		status, answer := e.do(t, "POST", "/v2/cards", e.tokA, body)
		if verified && status != 200 {
			t.Errorf("CreateCard(%+v made by square.js) = %d %s, want 200", c, status, answer)
		}
		if !verified {
			wantError(t, fmt.Sprintf("CreateCard(%+v made by square.js)", c), status, answer, 400, "CARD_DECLINED_VERIFICATION_REQUIRED", "")
		}
	}
}
