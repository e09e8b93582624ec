package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// custFormSel is the selector of the create and edit form.
const custFormSel = `[data-testid="customer-form"]`

func TestCreatingACustomerShowsItsProfileWithAFlash(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	form := e.b.get("/customers/new")
	p := e.submit(form, custFormSel, map[string]string{
		"given_name": "Katherine", "family_name": "Johnson", "email_address": "kj@example.com",
		"address_line_1": "1 Langley Blvd", "locality": "Hampton", "administrative_district_level_1": "VA",
		"postal_code": "23681", "country": "US", "birthday_month": "08", "birthday_day": "26", "birthday_year": "1918",
		"note": "Line one\r\nLine two",
	})
	expect(t, p, http.StatusSeeOther)
	id := strings.TrimPrefix(p.location(), "/customers/")
	profile := e.expectFlash(p, "/customers/"+id, "Customer created.")
	if got := custText(profile, "customer-name"); got != "Katherine Johnson" {
		t.Errorf("profile name = %q, want Katherine Johnson", got)
	}
	cu := e.get(id)
	if cu.Birthday != "1918-08-26" || cu.Address == nil || cu.Address.Country != "US" || cu.Note != "Line one\nLine two" {
		t.Errorf("created customer = birthday %q, address %+v, note %q; want 1918-08-26, US, two lines", cu.Birthday, cu.Address, cu.Note)
	}
	if got := e.count(); got != before+1 {
		t.Errorf("customers after one create = %d, want %d", got, before+1)
	}
	calls := e.h.wire.find(http.MethodPost, "/v2/customers")
	if len(calls) != 1 || calls[0].Request["idempotency_key"] != custHiddenOf(t, form, "idempotency_key") {
		t.Errorf("CreateCustomer calls = %d, want one carrying the form's idempotency key", len(calls))
	}
}

func TestABirthdayWithoutAYearIsSavedAsMonthAndDay(t *testing.T) {
	e := newCustEnv(t, 0)
	p := e.submit(e.b.get("/customers/new"), custFormSel, map[string]string{
		"given_name": "Leap", "birthday_month": "02", "birthday_day": "29",
	})
	expect(t, p, http.StatusSeeOther)
	calls := e.h.wire.find(http.MethodPost, "/v2/customers")
	if got := calls[len(calls)-1].Request["birthday"]; got != "02-29" {
		t.Errorf("CreateCustomer birthday = %v, want 02-29", got)
	}
	if got := e.get(strings.TrimPrefix(p.location(), "/customers/")).Birthday; got != "0000-02-29" {
		t.Errorf("stored birthday = %q, want 0000-02-29", got)
	}
}

func TestSubmittingTheCreateFormTwiceCreatesOneCustomer(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	form := e.b.get("/customers/new")
	fields := map[string]string{"given_name": "Double", "family_name": "Click"}
	first := e.submit(form, custFormSel, fields)
	second := e.submit(form, custFormSel, fields)
	expect(t, first, http.StatusSeeOther)
	expect(t, second, http.StatusSeeOther)
	if first.location() != second.location() {
		t.Errorf("two submits went to %q and %q, want the same customer", first.location(), second.location())
	}
	if got := e.count(); got != before+1 {
		t.Errorf("customers after a double submit = %d, want %d", got, before+1)
	}
	key := custHiddenOf(t, form, "idempotency_key")
	calls := e.h.wire.find(http.MethodPost, "/v2/customers")
	if len(calls) != 2 {
		t.Fatalf("CreateCustomer calls = %d, want 2", len(calls))
	}
	for i, c := range calls {
		if c.Request["idempotency_key"] != key {
			t.Errorf("CreateCustomer call %d idempotency_key = %v, want the form's %q", i, c.Request["idempotency_key"], key)
		}
	}
}

func TestACreateWhoseAnswerIsLostCanBeRetriedWithoutADuplicate(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	// Square commits every attempt but its answers never arrive; the
	// client retries with the same key, so only the first one creates.
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Endpoint: callCreate}); err != nil {
		t.Fatal(err)
	}
	form := e.b.get("/customers/new")
	typed := map[string]string{"given_name": "Lost", "family_name": "Answer", "note": "keep me"}
	p := e.submit(form, custFormSel, typed)
	if p.StatusCode < 500 {
		t.Fatalf("POST /customers with lost answers = %d, want a 5xx", p.StatusCode)
	}
	if got := custText(p, "save-failed"); !strings.Contains(got, "may not have been saved") || !strings.Contains(got, "cannot make a duplicate") {
		t.Errorf("message = %q, want it to say the customer may not have been saved and a retry is safe", got)
	}
	for name, v := range typed {
		if got := custInput(t, p, name); got != v {
			t.Errorf("after the failure %s = %q, want %q as typed", name, got, v)
		}
	}
	if got := custHiddenOf(t, p, "idempotency_key"); got != custHiddenOf(t, form, "idempotency_key") {
		t.Errorf("idempotency key after a lost answer = %q, want the form's own, so a retry is the same create", got)
	}

	e.h.emu.ClearFaults()
	p = e.submit(p, custFormSel, nil)
	expect(t, p, http.StatusSeeOther)
	if got := e.count(); got != before+1 {
		t.Errorf("customers after a lost create and a retry = %d, want %d", got, before+1)
	}
	if got := e.get(strings.TrimPrefix(p.location(), "/customers/")).Note; got != "keep me" {
		t.Errorf("saved note = %q, want keep me", got)
	}
}

func TestAFailureAtSquareKeepsWhatWasTypedAndSaysNothingWasCreated(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callCreate}); err != nil {
		t.Fatal(err)
	}
	typed := map[string]string{"given_name": "Busy", "email_address": "busy@example.com", "birthday_month": "03", "birthday_day": "4"}
	form := e.b.get("/customers/new")
	p := e.submit(form, custFormSel, typed)
	expect(t, p, http.StatusServiceUnavailable)
	if got := custText(p, "save-failed"); !strings.Contains(got, "The customer was not saved.") {
		t.Errorf("message = %q, want it to say the customer was not saved", got)
	}
	for name, v := range typed {
		if got := custInput(t, p, name); got != v {
			t.Errorf("after a 503 %s = %q, want %q as typed", name, got, v)
		}
	}
	if got := e.count(); got != before {
		t.Errorf("customers after a 503 = %d, want %d", got, before)
	}

	// With htmx the form stays on the page as typed; the message goes to
	// the alert region.
	p = e.submit(form, custFormSel, typed, custHX...)
	expect(t, p, http.StatusServiceUnavailable)
	if got := custText(p, "alert"); !strings.Contains(got, "The customer was not saved.") {
		t.Errorf("htmx alert = %q, want it to say the customer was not saved", got)
	}
}

func TestWithHTMXTheFormIsSwappedInPlaceAndSavingRedirects(t *testing.T) {
	e := newCustEnv(t, 0)
	form := e.b.get("/customers/new")
	p := e.submit(form, custFormSel, map[string]string{"given_name": "", "email_address": "nope"}, custHX...)
	expect(t, p, http.StatusUnprocessableEntity)
	if strings.Contains(p.Body, "<html") || p.Doc.Find("#customer-editor").Length() != 1 {
		t.Errorf("htmx 422 = a full page or no #customer-editor, want the editor fragment:\n%s", truncate(p.Body))
	}
	if got := custFieldError(p, "email_address"); got == "" {
		t.Error("htmx 422 has no message beside the email")
	}
	p = e.submit(p, custFormSel, map[string]string{"email_address": "yes@example.com"}, custHX...)
	expect(t, p, http.StatusNoContent)
	if got := p.Header.Get("HX-Redirect"); !strings.HasPrefix(got, "/customers/") {
		t.Errorf("htmx save HX-Redirect = %q, want the profile", got)
	}
}

func TestCustomerWritesWithoutTheCSRFTokenAreRefused(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Guarded"})
	e.h.emu.ResetCalls()
	for _, path := range []string{"/customers", "/customers/" + cu.ID, "/customers/" + cu.ID + "/delete"} {
		p := e.b.post(path, map[string][]string{"given_name": {"X"}, "version": {"0"}, "orig_given_name": {"Guarded"}})
		expect(t, p, http.StatusForbidden)
	}
	if n := len(e.h.emu.Calls()); n != 0 {
		t.Errorf("refused posts made %d Square calls, want none", n)
	}
}

func TestEditingSendsOnlyTheChangedFieldsAndClearsEmptiedOnes(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{
		GivenName: "Barbara", FamilyName: "Liskov", EmailAddress: "bl@example.com", PhoneNumber: "+1 617 555 0100",
		Note: "Old note", ReferenceID: "BL-1", Birthday: "1939-11-07",
		Address: &square.Address{AddressLine1: "32 Vassar St", AddressLine3: "Building 32", Locality: "Boston", Country: "US"},
	})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	expect(t, form, http.StatusOK)
	p := e.submit(form, custFormSel, map[string]string{
		"family_name": "Liskov-Huberman", "note": "", "phone_number": "", "locality": "Cambridge",
	})
	e.expectFlash(p, "/customers/"+cu.ID, "Customer updated.")

	puts := e.h.wire.find(http.MethodPut, "/v2/customers/"+cu.ID)
	if len(puts) != 1 {
		t.Fatalf("UpdateCustomer calls = %d, want 1", len(puts))
	}
	body := puts[0].Request
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	if len(body) != 5 || body["family_name"] != "Liskov-Huberman" || body["note"] != nil || body["phone_number"] != nil ||
		body["version"] != float64(0) {
		t.Errorf("UpdateCustomer body = %v, want family_name, note: null, phone_number: null, address and version 0 only (keys %q)", body, keys)
	}
	for _, k := range []string{"note", "phone_number"} {
		if v, ok := body[k]; !ok || v != nil {
			t.Errorf("UpdateCustomer %s = %v (sent %v), want null", k, v, ok)
		}
	}
	if addr, _ := body["address"].(map[string]any); len(addr) != 1 || addr["locality"] != "Cambridge" {
		t.Errorf("UpdateCustomer address = %v, want only locality Cambridge", body["address"])
	}

	got := e.get(cu.ID)
	if got.GivenName != "Barbara" || got.EmailAddress != "bl@example.com" || got.ReferenceID != "BL-1" || got.Birthday != "1939-11-07" {
		t.Errorf("untouched fields changed: %+v", got)
	}
	if got.Note != "" || got.PhoneNumber != "" || got.FamilyName != "Liskov-Huberman" {
		t.Errorf("note %q, phone %q, family %q; want cleared, cleared, Liskov-Huberman", got.Note, got.PhoneNumber, got.FamilyName)
	}
	if got.Address == nil || got.Address.AddressLine1 != "32 Vassar St" || got.Address.AddressLine3 != "Building 32" || got.Address.Locality != "Cambridge" {
		t.Errorf("address = %+v, want line 1 and line 3 kept and locality Cambridge", got.Address)
	}
	if got.Version != 1 {
		t.Errorf("version = %d, want 1", got.Version)
	}
}

func TestSavingAnUnchangedEditFormCallsNothing(t *testing.T) {
	e := newCustEnv(t, 1)
	cu := e.create(square.CreateCustomerRequest{
		GivenName: "Same", Note: "a\nb", Birthday: "05-07", TaxIDs: &square.TaxIDs{EUVat: "DE123456789"},
		Address: &square.Address{Country: "DE"},
	})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	p := e.submit(form, custFormSel, map[string]string{"birthday_day": "07"})
	e.expectFlash(p, "/customers/"+cu.ID, "nothing to save")
	if n := e.calls(callUpdate); n != 0 {
		t.Errorf("UpdateCustomer calls = %d, want none", n)
	}
}

func TestEditingTheVATNumberOfAnEUCustomer(t *testing.T) {
	e := newCustEnv(t, 1)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Hilde", TaxIDs: &square.TaxIDs{EUVat: "DE111111111"}})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	if got := custInput(t, form, "eu_vat"); got != "DE111111111" {
		t.Fatalf("edit form eu_vat = %q, want DE111111111", got)
	}
	expect(t, e.submit(form, custFormSel, map[string]string{"eu_vat": "DE222222222"}), http.StatusSeeOther)
	if got := e.get(cu.ID).TaxIDs; got == nil || got.EUVat != "DE222222222" {
		t.Errorf("tax ids = %+v, want DE222222222", got)
	}
	if got := custText(e.b.get("/customers/"+cu.ID), "detail-eu_vat"); got != "DE222222222" {
		t.Errorf("profile EU VAT number = %q, want DE222222222", got)
	}
	form = e.b.get("/customers/" + cu.ID + "/edit")
	expect(t, e.submit(form, custFormSel, map[string]string{"eu_vat": ""}), http.StatusSeeOther)
	if got := e.get(cu.ID).TaxIDs; got != nil {
		t.Errorf("tax ids after emptying = %+v, want none", got)
	}
}

func TestAnEditValidationErrorKeepsTheVersionAndWhatWasTyped(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Alan", FamilyName: "Turing"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	p := e.submit(form, custFormSel, map[string]string{"family_name": "T", "email_address": "bad"})
	expect(t, p, http.StatusUnprocessableEntity)
	if got := custFieldError(p, "email_address"); !strings.Contains(got, "name@example.com") {
		t.Errorf("message beside email = %q, want the format", got)
	}
	if got := custInput(t, p, "family_name"); got != "T" {
		t.Errorf("family name = %q, want T as typed", got)
	}
	if got := custHiddenOf(t, p, "version"); got != "0" {
		t.Errorf("version = %q, want 0 still", got)
	}
	if got := custHiddenOf(t, p, "orig_family_name"); got != "Turing" {
		t.Errorf("orig_family_name = %q, want Turing still", got)
	}
	if n := e.calls(callUpdate); n != 0 {
		t.Errorf("UpdateCustomer calls = %d, want none", n)
	}
}

// conflictRow is one field of the conflict page.
type conflictRow struct{ mine, square, checked string }

// conflictRows reads the conflict page's fields by key.
func conflictRows(p *page) map[string]conflictRow {
	rows := map[string]conflictRow{}
	p.Doc.Find(`[data-testid="conflict-field"]`).Each(func(_ int, s *goquery.Selection) {
		key, _ := s.Attr("data-field")
		checked, _ := s.Find(`input[type="radio"][checked]`).Attr("value")
		rows[key] = conflictRow{
			mine:    strings.TrimSpace(s.Find(`[data-testid="conflict-mine"]`).Text()),
			square:  strings.TrimSpace(s.Find(`[data-testid="conflict-square"]`).Text()),
			checked: checked,
		}
	})
	return rows
}

func TestAnEditConflictShowsBothValuesAndSavesWithTheNewVersion(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Mary", FamilyName: "Shelley", CompanyName: "Old Co", Note: "n"})
	form := e.b.get("/customers/" + cu.ID + "/edit")

	// Someone else saves first: a new first name and a new company.
	e.update(cu.ID, square.UpdateCustomerRequest{GivenName: square.Set("Maria"), CompanyName: square.Set("New Co")})

	p := e.submit(form, custFormSel, map[string]string{"given_name": "Mary W.", "note": "mine"})
	expect(t, p, http.StatusConflict)
	if p.testID("conflict").Length() != 1 {
		t.Fatalf("409 page has no data-testid=conflict\n%s", truncate(p.Body))
	}
	want := map[string]conflictRow{
		"given_name":   {mine: "Mary W.", square: "Maria", checked: "mine"},
		"company_name": {mine: "Old Co", square: "New Co", checked: "square"},
		"note":         {mine: "mine", square: "n", checked: "mine"},
	}
	got := conflictRows(p)
	if len(got) != len(want) {
		t.Errorf("conflict fields = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("conflict field %s = %+v, want %+v", k, got[k], w)
		}
	}
	if n := e.calls(callUpdate); n != 2 {
		t.Errorf("UpdateCustomer calls = %d, want 2 (theirs and our refused one)", n)
	}
	if e.get(cu.ID).GivenName != "Maria" {
		t.Error("the refused save changed the customer, want no silent overwrite")
	}

	// The defaults: my first name and note, their company.
	p = e.submit(p, `[data-testid="conflict-form"]`, nil)
	e.expectFlash(p, "/customers/"+cu.ID, "Customer updated.")
	saved := e.get(cu.ID)
	if saved.GivenName != "Mary W." || saved.CompanyName != "New Co" || saved.Note != "mine" || saved.FamilyName != "Shelley" {
		t.Errorf("saved = %q %q, company %q, note %q; want Mary W. Shelley, New Co, mine", saved.GivenName, saved.FamilyName, saved.CompanyName, saved.Note)
	}
	puts := e.h.wire.find(http.MethodPut, "/v2/customers/"+cu.ID)
	if last := puts[len(puts)-1].Request; last["version"] != float64(1) || len(last) != 3 {
		t.Errorf("resolving save = %v, want given_name, note and version 1 only", last)
	}
}

func TestAnEditConflictCanKeepSquaresValue(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ida", Birthday: "1900-01-02"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	e.update(cu.ID, square.UpdateCustomerRequest{Birthday: square.Set("1900-03-04")})
	p := e.submit(form, custFormSel, map[string]string{"birthday_day": "3"})
	expect(t, p, http.StatusConflict)
	if got := conflictRows(p)["birthday"]; got.mine != "3 January 1900" || got.square != "4 March 1900" {
		t.Errorf("birthday conflict = %+v, want 3 January 1900 against 4 March 1900", got)
	}
	p = e.submit(p, `[data-testid="conflict-form"]`, map[string]string{"pick_birthday": "square"})
	e.expectFlash(p, "/customers/"+cu.ID, "nothing to save")
	if got := e.get(cu.ID); got.Birthday != "1900-03-04" || got.Version != 1 {
		t.Errorf("birthday %q version %d, want Square's 1900-03-04 untouched at version 1", got.Birthday, got.Version)
	}
}

func TestASecondConflictShowsTheConflictPageAgain(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "First"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	e.update(cu.ID, square.UpdateCustomerRequest{GivenName: square.Set("Second")})
	p := e.submit(form, custFormSel, map[string]string{"given_name": "Mine"})
	expect(t, p, http.StatusConflict)
	e.update(cu.ID, square.UpdateCustomerRequest{GivenName: square.Set("Third")})
	p = e.submit(p, `[data-testid="conflict-form"]`, nil)
	expect(t, p, http.StatusConflict)
	if got := conflictRows(p)["given_name"]; got != (conflictRow{mine: "Mine", square: "Third", checked: "mine"}) {
		t.Errorf("second conflict given_name = %+v, want Mine against Third", got)
	}
	p = e.submit(p, `[data-testid="conflict-form"]`, nil)
	expect(t, p, http.StatusSeeOther)
	if got := e.get(cu.ID); got.GivenName != "Mine" || got.Version != 3 {
		t.Errorf("saved %q at version %d, want Mine at 3", got.GivenName, got.Version)
	}
}

func TestAnEditConflictWithHTMXReplacesTheForm(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Hx"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	e.update(cu.ID, square.UpdateCustomerRequest{GivenName: square.Set("Theirs")})
	p := e.submit(form, custFormSel, map[string]string{"given_name": "Mine"}, custHX...)
	expect(t, p, http.StatusConflict)
	if strings.Contains(p.Body, "<html") || p.Doc.Find(`#customer-editor[data-testid="conflict"]`).Length() != 1 {
		t.Errorf("htmx conflict = a full page or no #customer-editor, want the conflict fragment:\n%s", truncate(p.Body))
	}
}

func TestAFailureAtSquareOnEditKeepsWhatWasTyped(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Steady"})
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callUpdate}); err != nil {
		t.Fatal(err)
	}
	form := e.b.get("/customers/" + cu.ID + "/edit")
	p := e.submit(form, custFormSel, map[string]string{"given_name": "Changed", "note": "typed"})
	expect(t, p, http.StatusServiceUnavailable)
	if got := custText(p, "save-failed"); !strings.Contains(got, "Your changes were not saved.") {
		t.Errorf("message = %q, want it to say the changes were not saved", got)
	}
	if custInput(t, p, "given_name") != "Changed" || custInput(t, p, "note") != "typed" || custHiddenOf(t, p, "version") != "0" {
		t.Errorf("after a 503 the form lost what was typed or its version")
	}
	if got := e.get(cu.ID); got.GivenName != "Steady" {
		t.Errorf("customer = %q, want unchanged", got.GivenName)
	}
	e.h.emu.ClearFaults()
	expect(t, e.submit(p, custFormSel, nil), http.StatusSeeOther)
	if got := e.get(cu.ID); got.GivenName != "Changed" || got.Note != "typed" {
		t.Errorf("after retrying, customer = %q / %q, want Changed / typed", got.GivenName, got.Note)
	}
}

func TestAnEditWhoseAnswerWasLostFindsItsChangesSavedOnRetry(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Before"})
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Endpoint: callUpdate, Count: 1}); err != nil {
		t.Fatal(err)
	}
	form := e.b.get("/customers/" + cu.ID + "/edit")
	p := e.submit(form, custFormSel, map[string]string{"given_name": "After"})
	if got := custText(p, "save-failed"); p.StatusCode < 500 || !strings.Contains(got, "may not have been saved") {
		t.Fatalf("POST = %d %q, want a 5xx saying the changes may not have been saved", p.StatusCode, got)
	}
	// The retry meets the version the lost save made; Square already
	// holds what was typed, so nothing is left to do.
	p = e.submit(p, custFormSel, nil)
	e.expectFlash(p, "/customers/"+cu.ID, "Square already holds these details")
	if got := e.get(cu.ID); got.GivenName != "After" || got.Version != 1 {
		t.Errorf("customer %q at version %d, want After at 1", got.GivenName, got.Version)
	}
}

func TestEditingACustomerDeletedMeanwhileSaysItIsGone(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ephemeral"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	if err := e.sq.Customers.Delete(t.Context(), cu.ID, nil); err != nil {
		t.Fatal(err)
	}
	p := e.submit(form, custFormSel, map[string]string{"given_name": "Too late"})
	expectErrorPage(t, p, http.StatusNotFound)
	if got := custText(p, "error-page"); !strings.Contains(got, "no longer exists") {
		t.Errorf("page = %q, want it to say the customer no longer exists", got)
	}
}

func TestAnEditFormWithoutItsVersionIsRefused(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Versioned"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	for _, version := range []string{"", "abc", "-1"} {
		p := e.submit(form, custFormSel, map[string]string{"version": version, "given_name": "X"})
		expectErrorPage(t, p, http.StatusBadRequest)
	}
	if n := e.calls(callUpdate); n != 0 {
		t.Errorf("UpdateCustomer calls = %d, want none", n)
	}
}

func TestChangingTheDetailsAfterALostCreateWarnsBeforeASecondCustomer(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Endpoint: callCreate}); err != nil {
		t.Fatal(err)
	}
	p := e.submit(e.b.get("/customers/new"), custFormSel, map[string]string{"given_name": "First try"})
	if p.StatusCode < 500 {
		t.Fatalf("POST /customers with lost answers = %d, want a 5xx", p.StatusCode)
	}
	e.h.emu.ClearFaults()
	key := custHiddenOf(t, p, "idempotency_key")

	// Square created the first try; other details under its key are not
	// the same create, and Square says so.
	p = e.submit(p, custFormSel, map[string]string{"given_name": "Second try"})
	expect(t, p, http.StatusUnprocessableEntity)
	if got := custText(p, "error-summary"); !strings.Contains(got, "already created a customer") {
		t.Errorf("summary = %q, want it to warn that this form already created a customer", got)
	}
	if got := custInput(t, p, "given_name"); got != "Second try" {
		t.Errorf("given name = %q, want Second try as typed", got)
	}
	if got := custHiddenOf(t, p, "idempotency_key"); got == key {
		t.Errorf("idempotency key = %q, want a new one for a deliberate second create", got)
	}
	if got := e.count(); got != before+1 {
		t.Errorf("customers = %d, want %d: only the first try", got, before+1)
	}
	expect(t, e.submit(p, custFormSel, nil), http.StatusSeeOther)
	if got := e.count(); got != before+2 {
		t.Errorf("customers after saving again = %d, want %d", got, before+2)
	}
}
