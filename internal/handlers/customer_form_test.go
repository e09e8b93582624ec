package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// customerInputs are the inputs of the customer form; eu_vat only for
// sellers in the EU or the UK.
var customerInputs = []string{
	"given_name", "family_name", "nickname", "company_name", "email_address", "phone_number",
	"address_line_1", "address_line_2", "locality", "administrative_district_level_1", "postal_code", "country",
	"birthday_month", "birthday_day", "birthday_year", "reference_id", "note",
}

func TestTheNewCustomerFormHasEveryWritableFieldWithALabel(t *testing.T) {
	e := newCustEnv(t, 0)
	p := e.b.get("/customers/new")
	expect(t, p, http.StatusOK)
	if got := custText(p, "form-heading"); got != "New customer" {
		t.Errorf("GET /customers/new heading = %q, want New customer", got)
	}
	for _, name := range customerInputs {
		control := p.Doc.Find(`[data-testid="customer-form"] [name="` + name + `"]`)
		if control.Length() != 1 {
			t.Errorf("GET /customers/new: %d controls named %q, want 1", control.Length(), name)
			continue
		}
		id, _ := control.Attr("id")
		label := strings.TrimSpace(p.Doc.Find(`label[for="` + id + `"]`).Text())
		if id == "" || label == "" {
			t.Errorf("GET /customers/new: control %q (id %q) has no label", name, id)
		}
	}
	if n := p.Doc.Find(`select[name="country"] option`).Length(); n < 250 {
		t.Errorf("country select has %d options, want every ISO 3166-1 country and none", n)
	}
	if got := strings.TrimSpace(p.Doc.Find(`select[name="country"] option[value="DE"]`).Text()); got != "Germany" {
		t.Errorf(`country option DE = %q, want "Germany"`, got)
	}
	if goquery.NodeName(p.Doc.Find(`[name="note"]`)) != "textarea" {
		t.Error(`the note is not a textarea`)
	}
	if got := strings.TrimSpace(p.testID("save").Text()); got != "Save" {
		t.Errorf("submit button = %q, want Save", got)
	}
	key, ok := custHidden(p, "idempotency_key")
	if !ok || len(key) < 22 {
		t.Errorf("idempotency_key = %q, want a random key of at least 22 characters", key)
	}
	if p.Doc.Find(`[name="eu_vat"]`).Length() != 0 {
		t.Error("GET /customers/new for a US seller shows the EU VAT number, want it hidden")
	}
	// Two renders, two keys: each form is its own create.
	if again, _ := custHidden(e.b.get("/customers/new"), "idempotency_key"); again == key {
		t.Errorf("two renders of the form share the idempotency key %q, want a fresh one each", key)
	}
}

func TestTheEUVATNumberIsOfferedOnlyToSellersInTheEUOrUK(t *testing.T) {
	for _, tt := range []struct {
		name     string
		merchant int
		want     bool
	}{
		{"a seller in the US is not asked for it", 0, false},
		{"a seller in Germany is asked for it", 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newCustEnv(t, tt.merchant)
			cu := e.create(square.CreateCustomerRequest{GivenName: "Vat"})
			for _, path := range []string{"/customers/new", "/customers/" + cu.ID + "/edit"} {
				p := e.b.get(path)
				expect(t, p, http.StatusOK)
				if got := p.Doc.Find(`input[name="eu_vat"]`).Length() == 1; got != tt.want {
					t.Errorf("GET %s shows the EU VAT number = %v, want %v", path, got, tt.want)
				}
			}
		})
	}
}

// validationCase is one row of the validation table: the fields typed in
// and the input that must carry a message, or "" when the form is valid.
type validationCase struct {
	name     string
	set      map[string]string
	badInput string
	message  string
}

func TestTheCreateFormChecksSquaresRulesBeforeCallingSquare(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	named := func(kv ...string) map[string]string {
		m := map[string]string{"given_name": "Test"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []validationCase{
		{"a customer with none of the five identifying fields is refused", map[string]string{"note": "hello", "given_name": ""}, "given_name", "Square needs at least one"},
		{"a company alone identifies a customer", map[string]string{"company_name": "Acme"}, "", ""},
		{"an email alone identifies a customer", map[string]string{"email_address": "solo@example.com"}, "", ""},
		{"a phone alone identifies a customer", map[string]string{"phone_number": "+1 206 555 0100"}, "", ""},
		{"a first name of 300 characters is fine", named("given_name", long(300)), "", ""},
		{"a first name of 301 characters is too long", named("given_name", long(301)), "given_name", "300 characters or fewer"},
		{"300 accented letters count as 300 characters", named("given_name", strings.Repeat("é", 300)), "", ""},
		{"a last name of 301 characters is too long", named("family_name", long(301)), "family_name", "300 characters or fewer"},
		{"a company of 500 characters is fine", named("company_name", long(500)), "", ""},
		{"a company of 501 characters is too long", named("company_name", long(501)), "company_name", "500 characters or fewer"},
		{"a nickname of 101 characters is too long", named("nickname", long(101)), "nickname", "100 characters or fewer"},
		{"a reference id of 100 characters is fine", named("reference_id", long(100)), "", ""},
		{"a reference id of 101 characters is too long", named("reference_id", long(101)), "reference_id", "100 characters or fewer"},
		{"an email without @ is refused", named("email_address", "ada.example.com"), "email_address", "like name@example.com"},
		{"an email without a dot in its domain is refused", named("email_address", "ada@localhost"), "email_address", "like name@example.com"},
		{"an email without a local part is refused", named("email_address", "@example.com"), "email_address", "like name@example.com"},
		{"an email with a space is refused", named("email_address", "ada lovelace@example.com"), "email_address", "like name@example.com"},
		{"an email with two @ is refused", named("email_address", "a@b@example.com"), "email_address", "like name@example.com"},
		{"an email of 255 characters is too long", named("email_address", long(243)+"@example.com"), "email_address", "254 characters or fewer"},
		{"an ordinary email is fine", named("email_address", "ada.lovelace+news@example.co.uk"), "", ""},
		{"a phone of 8 digits is too short", named("phone_number", "555 0100"), "phone_number", "9 to 16 digits"},
		{"a phone of 17 digits is too long", named("phone_number", "+1 2345 6789 0123 4567"), "phone_number", "9 to 16 digits"},
		{"a phone with letters is refused", named("phone_number", "+1 206 CALL NOW"), "phone_number", "9 to 16 digits"},
		{"a formatted phone of 11 digits is fine", named("phone_number", "+1 (206) 555-0100"), "", ""},
		{"a birthday needs its day", named("birthday_month", "05"), "birthday_day", "Enter the day"},
		{"a birthday needs its month", named("birthday_day", "17"), "birthday_month", "Choose the month"},
		{"a year alone is not a birthday", named("birthday_year", "1990"), "birthday_month", "Choose the month"},
		{"31 April is not a date", named("birthday_month", "04", "birthday_day", "31"), "birthday_day", "April does not have 31 days"},
		{"29 February 1999 is not a date", named("birthday_month", "02", "birthday_day", "29", "birthday_year", "1999"), "birthday_day", "February does not have 29 days"},
		{"29 February without a year is a date", named("birthday_month", "02", "birthday_day", "29"), "", ""},
		{"a day that is not a number is refused", named("birthday_month", "05", "birthday_day", "1st"), "birthday_day", "number from 1 to 31"},
		{"a two-digit year is refused", named("birthday_month", "05", "birthday_day", "17", "birthday_year", "85"), "birthday_year", "4 digits"},
		{"a year in the future is refused", named("birthday_month", "05", "birthday_day", "17", "birthday_year", "2999"), "birthday_year", "cannot be in the future"},
		{"a birthday with a year is fine", named("birthday_month", "05", "birthday_day", "07", "birthday_year", "1990"), "", ""},
		{"an unknown country is refused", named("country", "XX"), "country", "Choose a country"},
		{"a known country is fine", named("country", "DE", "locality", "Berlin"), "", ""},
		{"a note of any length is fine", named("note", long(5000)), "", ""},
	}
	e := newCustEnv(t, 0)
	runValidationTable(t, e, tests)
}

func TestTheEUVATNumberIsCheckedBeforeCallingSquare(t *testing.T) {
	tests := []validationCase{
		{"a VAT number with a dash is refused", map[string]string{"given_name": "V", "eu_vat": "DE-123456789"}, "eu_vat", "letters and digits only"},
		{"a VAT number of 21 characters is too long", map[string]string{"given_name": "V", "eu_vat": "DE1234567890123456789"}, "eu_vat", "at most 20"},
		{"a VAT number of 20 characters is fine", map[string]string{"given_name": "V", "eu_vat": "DE123456789012345678"}, "", ""},
		{"spaces in a VAT number are dropped", map[string]string{"given_name": "V", "eu_vat": "DE 123 456 789"}, "", ""},
	}
	e := newCustEnv(t, 1)
	runValidationTable(t, e, tests)
}

// runValidationTable submits a fresh create form per case. A bad case must
// come back 422 without a call to Square, with its message beside the
// input, a summary at the top that focus moves to, and every value as
// typed; a good case must create the customer.
func runValidationTable(t *testing.T, e *custEnv, tests []validationCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := e.b.get("/customers/new")
			expect(t, form, http.StatusOK)
			creates := e.calls(callCreate)
			p := e.submit(form, `[data-testid="customer-form"]`, tt.set)
			if tt.badInput == "" {
				expect(t, p, http.StatusSeeOther)
				if !strings.HasPrefix(p.location(), "/customers/") {
					t.Fatalf("POST /customers Location = %q, want the new profile", p.location())
				}
				return
			}
			expect(t, p, http.StatusUnprocessableEntity)
			if n := e.calls(callCreate) - creates; n != 0 {
				t.Errorf("POST /customers made %d CreateCustomer calls, want none", n)
			}
			if got := custFieldError(p, tt.badInput); !strings.Contains(got, tt.message) {
				t.Errorf("POST /customers: message beside %s = %q, want it to contain %q", tt.badInput, got, tt.message)
			}
			summary := p.testID("error-summary")
			if _, ok := summary.Attr("data-focus-first-error"); !ok || summary.Length() != 1 {
				t.Errorf("POST /customers: error summary %d, want one marked data-focus-first-error", summary.Length())
			}
			if href, _ := summary.Find("a").First().Attr("href"); href != "#field-"+tt.badInput {
				t.Errorf("POST /customers: summary links to %q, want #field-%s", href, tt.badInput)
			}
			input := p.Doc.Find("#field-" + tt.badInput)
			if got, _ := input.Attr("aria-invalid"); got != "true" {
				t.Errorf("POST /customers: #field-%s aria-invalid = %q, want true", tt.badInput, got)
			}
			if got, _ := input.Attr("aria-describedby"); !strings.Contains(got, "field-"+tt.badInput+"-error") {
				t.Errorf("POST /customers: #field-%s aria-describedby = %q, want its message's id", tt.badInput, got)
			}
			for name, typed := range tt.set {
				if got := custInput(t, p, name); got != strings.TrimSpace(typed) {
					t.Errorf("POST /customers: %s came back as %q (%d chars), want what was typed (%d chars)", name, clip(got), utf8.RuneCountInString(got), utf8.RuneCountInString(typed))
				}
			}
			if got, _ := custHidden(p, "idempotency_key"); got != custHiddenOf(t, form, "idempotency_key") {
				t.Errorf("POST /customers: idempotency key changed from %q to %q on a validation error, want it kept", custHiddenOf(t, form, "idempotency_key"), got)
			}
		})
	}
}

// custHiddenOf is a hidden input's value, which must exist.
func custHiddenOf(t *testing.T, p *page, name string) string {
	t.Helper()
	v, ok := custHidden(p, name)
	if !ok {
		t.Fatalf("%s %s has no hidden input %q", p.Request.Method, p.Request.URL.RequestURI(), name)
	}
	return v
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func TestSquaresOwnRefusalIsShownBesideTheSameField(t *testing.T) {
	// Square publishes no limit for address lines, so Tessera leaves them
	// to Square; squarelocal allows 500 characters.
	e := newCustEnv(t, 0)
	form := e.b.get("/customers/new")
	line := strings.Repeat("b", 501)
	p := e.submit(form, `[data-testid="customer-form"]`, map[string]string{"given_name": "Long", "address_line_1": line})
	expect(t, p, http.StatusUnprocessableEntity)
	if n := e.h.emu.CountCalls(callCreate, http.StatusBadRequest); n != 1 {
		t.Errorf("CreateCustomer calls answered 400 = %d, want 1", n)
	}
	if got := custFieldError(p, "address_line_1"); got != "Address line 1 is longer than Square allows. Shorten it." {
		t.Errorf("message beside address line 1 = %q, want Square's limit", got)
	}
	if got := custInput(t, p, "address_line_1"); got != line {
		t.Errorf("address line 1 came back with %d characters, want the 501 typed", len(got))
	}
	if p.testID("error-summary").Length() != 1 {
		t.Error("no error summary on Square's refusal, want one")
	}
	if strings.Contains(p.Body, "Field `address") {
		t.Error("the page shows Square's detail text, want it in the log only")
	}
	// Square refused, so nothing was created; the form has a new key and
	// the corrected details go through.
	oldKey, newKey := custHiddenOf(t, form, "idempotency_key"), custHiddenOf(t, p, "idempotency_key")
	if oldKey == newKey {
		t.Errorf("idempotency key after Square's refusal = %q, want a new one", newKey)
	}
	p = e.submit(p, `[data-testid="customer-form"]`, map[string]string{"address_line_1": "1 Short St"})
	expect(t, p, http.StatusSeeOther)
}

func TestTheEditFormIsFilledInAndCarriesTheVersionAndTheOriginals(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{
		GivenName: "Edsger", FamilyName: "Dijkstra", EmailAddress: "ewd@example.com",
		Address: &square.Address{Locality: "Austin", Country: "US"}, Birthday: "05-11", Note: "Line one\nLine two",
	})
	cu = e.update(cu.ID, square.UpdateCustomerRequest{Nickname: square.Set("EWD")})
	p := e.b.get("/customers/" + cu.ID + "/edit")
	expect(t, p, http.StatusOK)
	if got := custText(p, "form-heading"); got != "Edit Edsger Dijkstra" {
		t.Errorf("heading = %q, want Edit Edsger Dijkstra", got)
	}
	want := map[string]string{
		"given_name": "Edsger", "family_name": "Dijkstra", "nickname": "EWD", "email_address": "ewd@example.com",
		"locality": "Austin", "country": "US", "birthday_month": "05", "birthday_day": "11", "birthday_year": "",
		"note": "Line one\nLine two", "phone_number": "",
	}
	for name, v := range want {
		if got := custInput(t, p, name); got != v {
			t.Errorf("edit form %s = %q, want %q", name, got, v)
		}
		if got := custHiddenOf(t, p, "orig_"+name); got != v {
			t.Errorf("edit form orig_%s = %q, want %q", name, got, v)
		}
	}
	if got := custHiddenOf(t, p, "version"); got != "1" {
		t.Errorf("edit form version = %q, want 1", got)
	}
	if _, ok := custHidden(p, "idempotency_key"); ok {
		t.Error("the edit form carries an idempotency key, want it on the create form only")
	}
}

func TestTheEditFormOfAnUnknownCustomerIsANotFoundPage(t *testing.T) {
	e := newCustEnv(t, 0)
	for _, path := range []string{"/customers/JDKYHBWT1D4F8MFH63DBMEN8Y4/edit", "/customers/JDKYHBWT1D4F8MFH63DBMEN8Y4/delete"} {
		expectErrorPage(t, e.b.get(path), http.StatusNotFound)
	}
}
