package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// The gaps of docs/security.md#3-gaps-in-short, items 2 and 3: no GET (whatever method
// override it carries) changes anything, and the log holds no card data or
// contact details typed into forms.

// squareReads are the squarelocal routes that are POSTs but only read.
var squareReads = map[string]bool{
	"POST /v2/customers/search":        true,
	"POST /v2/customers/bulk-retrieve": true,
	"POST /oauth2/token/status":        true,
}

// squareWrites returns the calls of the log that change something at
// Square: a POST, PUT or DELETE under /v2/ that is not a read, or a
// revocation.
func squareWrites(calls []squarelocal.Call) []string {
	var out []string
	for _, c := range calls {
		write := c.Method == http.MethodPost || c.Method == http.MethodPut || c.Method == http.MethodDelete
		if write && strings.HasPrefix(c.Path, "/v2/") && !squareReads[c.Pattern] || c.Path == "/oauth2/revoke" {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

func TestNoGETChangesAnything(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", FamilyName: "Lovelace", EmailAddress: "ada@example.com"})
	card := e.addCard(cu.ID, e.visa("94103"), "Ada Lovelace")
	cookie := e.b.sessionCookie()
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	token := csrfToken(t, p)
	e.h.emu.ResetCalls()

	cardBase := "/customers/" + cu.ID + "/cards/" + card.ID
	paths := []string{
		"/logout",
		"/login",
		"/customers",
		"/customers/" + cu.ID,
		"/customers/" + cu.ID + "/delete",
		"/customers/" + cu.ID + "/cards",
		cardBase + "/disable",
		cardBase + "/remove",
	}
	// Each override also carries a valid CSRF token in the URL, so that an
	// override, if honoured, would not be stopped by the CSRF check alone.
	type variant struct {
		query  string
		header []string
	}
	variants := []variant{
		{},
		{query: "_method=POST&_csrf=" + url.QueryEscape(token)},
		{query: "_method=DELETE&_csrf=" + url.QueryEscape(token)},
		{query: "_method=PUT&_csrf=" + url.QueryEscape(token)},
		{header: []string{"X-HTTP-Method-Override", "POST", "X-CSRF-Token", token}},
		{header: []string{"X-HTTP-Method-Override", "DELETE", "X-CSRF-Token", token}},
		{header: []string{"X-HTTP-Method", "POST", "X-CSRF-Token", token}},
		{header: []string{"X-Method-Override", "DELETE", "X-CSRF-Token", token}},
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, path := range paths {
			for _, v := range variants {
				target := path
				if v.query != "" {
					target += "?" + v.query
				}
				got := e.b.do(method, target, nil, headers(v.header...))
				if got.StatusCode >= 500 {
					t.Errorf("%s %s %v = %d, want no 5xx", method, target, v.header, got.StatusCode)
				}
				if writes := squareWrites(e.h.emu.Calls()); len(writes) != 0 {
					t.Fatalf("%s %s %v made Square calls %q, want no write", method, target, v.header, writes)
				}
			}
		}
	}

	if got := e.b.sessionCookie(); got != cookie {
		t.Errorf("session cookie after the GETs = %q, want it unchanged %q", got, cookie)
	}
	if _, ok := e.h.sessionData(cookie); !ok {
		t.Error("sessionData(cookie) after the GETs = signed out, want signed in")
	}
	if !e.b.signedIn() {
		t.Error("signedIn() after the GETs = false, want true")
	}
	if after := e.get(cu.ID); after.Version != cu.Version || after.EmailAddress != cu.EmailAddress {
		t.Errorf("Customers.Get(%s) = version %d %q, want version %d %q", cu.ID, after.Version, after.EmailAddress, cu.Version, cu.EmailAddress)
	}
	if cards := e.cardsOf(cu.ID); len(cards) != 1 || !cards[0].Enabled {
		t.Errorf("cardsOf(%s) = %+v, want the one card, enabled", cu.ID, cards)
	}
	if n := e.h.revokeCalls(); n != 0 {
		t.Errorf("revokeCalls() = %d, want 0", n)
	}
}

func TestLogsHoldNoCardDataOrTypedContactDetails(t *testing.T) {
	e := newCustEnv(t, 0)
	d, _ := e.h.sessionData(e.b.sessionCookie())
	const (
		email      = "quokka.gaps7q3@example.com"
		phone      = "+1 415-555-0173"
		phoneE164  = "+14155550173"
		note       = "zebrafinch-note-7q3"
		badEmail   = "not-an-email-wombat7q3"
		email2     = "quokka.edited7q3@example.com"
		phone2     = "+1 415-555-0188"
		phone2E164 = "+14155550188"
		note2      = "zebrafinch-edited-7q3"
		holder     = "Ottoline Quillfeather"
		postal     = "94107"
		badHolder  = "Barnaby Tinkerwhistle"
		badPostal  = "94111"
	)
	secrets := map[string]string{
		"the email":                 email,
		"the phone":                 phone,
		"the phone in E.164":        phoneE164,
		"the note":                  note,
		"the refused email":         badEmail,
		"the edited email":          email2,
		"the edited phone":          phone2,
		"the edited phone in E.164": phone2E164,
		"the edited note":           note2,
		"the cardholder name":       holder,
		"the postal code":           postal,
		"the refused cardholder":    badHolder,
		"the refused postal code":   badPostal,
		"the card number":           "4111111111111111",
		"the spaced card number":    testVisa,
		"the access token":          d.AccessToken,
		"the refresh token":         d.RefreshToken,
		"the session cookie":        e.b.sessionCookie(),
	}
	fields := map[string]string{
		"given_name": "Gaps", "family_name": "Probe",
		"email_address": email, "phone_number": phone, "note": note,
	}

	// A form the app refuses: 422.
	refused := map[string]string{}
	for k, v := range fields {
		refused[k] = v
	}
	refused["email_address"] = badEmail
	p := e.submit(e.b.get("/customers/new"), custFormSel, refused)
	expect(t, p, http.StatusUnprocessableEntity)

	// Square unavailable: the form comes back, then the retry creates.
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callCreate}); err != nil {
		t.Fatalf("InjectFault = %v", err)
	}
	p = e.submit(e.b.get("/customers/new"), custFormSel, fields)
	if p.StatusCode < 500 {
		t.Fatalf("POST /customers under a 503 = %d, want a 5xx", p.StatusCode)
	}
	e.h.emu.ClearFaults()
	p = e.submit(p, custFormSel, fields)
	expect(t, p, http.StatusSeeOther)
	id := strings.TrimPrefix(p.location(), "/customers/")
	if cu := e.get(id); cu.EmailAddress != email || cu.Note != note {
		t.Fatalf("Customers.Get(%s) = %q %q, want %q %q", id, cu.EmailAddress, cu.Note, email, note)
	}

	// An edit, one refused at Square under a 503 first.
	edit := e.b.get("/customers/" + id + "/edit")
	expect(t, edit, http.StatusOK)
	changed := map[string]string{"email_address": email2, "phone_number": phone2, "note": note2}
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callUpdate}); err != nil {
		t.Fatalf("InjectFault = %v", err)
	}
	p = e.submit(edit, custFormSel, changed)
	if p.StatusCode < 500 {
		t.Fatalf("POST /customers/%s under a 503 = %d, want a 5xx", id, p.StatusCode)
	}
	e.h.emu.ClearFaults()
	p = e.submit(e.b.get("/customers/"+id+"/edit"), custFormSel, changed)
	expectRedirect(t, p, "/customers/"+id)
	if cu := e.get(id); cu.EmailAddress != email2 || cu.Note != note2 {
		t.Fatalf("Customers.Get(%s) after the edit = %q %q, want %q %q", id, cu.EmailAddress, cu.Note, email2, note2)
	}

	// A card Square refuses (CVV 911 gives INVALID_CARD_DATA), one under a
	// 503, then one it stores.
	badToken := e.token(testVisa, "12/30", "911", badPostal)
	secrets["the refused card token"] = badToken
	p = e.submitCard(e.cardPage(id), badToken, badHolder, badPostal)
	expect(t, p, http.StatusUnprocessableEntity)
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callCreateCard}); err != nil {
		t.Fatalf("InjectFault = %v", err)
	}
	failToken := e.visa(postal)
	secrets["the card token of the 503"] = failToken
	p = e.submitCard(e.cardPage(id), failToken, holder, postal)
	if p.StatusCode < 500 {
		t.Fatalf("POST /customers/%s/cards under a 503 = %d, want a 5xx", id, p.StatusCode)
	}
	e.h.emu.ClearFaults()
	goodToken := e.visa(postal)
	secrets["the card token"] = goodToken
	p = e.submitCard(e.cardPage(id), goodToken, holder, postal)
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /customers/%s/cards = %d, want 303\n%s", id, p.StatusCode, truncate(p.Body))
	}
	cards := e.cardsOf(id)
	if len(cards) != 1 || cards[0].CardholderName != holder {
		t.Fatalf("cardsOf(%s) = %+v, want one card of %s", id, cards, holder)
	}

	// Removing it, once under a 503.
	confirm := e.b.get("/customers/" + id + "/cards/" + cards[0].ID + "/remove")
	expect(t, confirm, http.StatusOK)
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callDisableCard}); err != nil {
		t.Fatalf("InjectFault = %v", err)
	}
	p = e.submit(confirm, `[data-testid="remove-card-form"]`, nil)
	if p.StatusCode < 500 {
		t.Fatalf("removing a card under a 503 = %d, want a 5xx", p.StatusCode)
	}
	e.h.emu.ClearFaults()
	e.expectFlash(e.submit(confirm, `[data-testid="remove-card-form"]`, nil), "/customers/"+id, "Card removed.")

	logs := e.h.logs.String()
	for _, want := range []string{`msg="saving a customer failed"`, `msg="square refused a card"`, `msg="adding a card failed"`, `msg="removing a card failed"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no %s, want the error paths to have logged", want)
		}
	}
	for what, secret := range secrets {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the log holds %s (%q)", what, secret)
		}
	}
	// The brand and the last 4 together identify the card to a person.
	if m := regexp.MustCompile(`(?i)visa\W{0,40}1111|1111\W{0,40}visa|last_?4\W{0,5}1111`).FindString(logs); m != "" {
		t.Errorf("the log holds the card's brand with its last 4: %q", m)
	}
	// Square's detail strings may be logged (they stay out of pages), but
	// must not carry what was typed.
	e.h.wire.mu.Lock()
	wire := append([]wireCall(nil), e.h.wire.calls...)
	e.h.wire.mu.Unlock()
	for _, c := range wire {
		errs, _ := c.Response["errors"].([]any)
		for _, raw := range errs {
			m, _ := raw.(map[string]any)
			detail, _ := m["detail"].(string)
			for what, secret := range secrets {
				if secret != "" && detail != "" && strings.Contains(detail, secret) {
					t.Errorf("Square's detail %q of %s %s holds %s", detail, c.Method, c.Path, what)
				}
			}
		}
	}
}
