package handlers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// Races between people, or tabs, working on the same customer: no silent
// overwrite, no duplicate, no 500. Each test asserts the status, what the
// page says and what Square holds afterwards.

// secondStaff signs a second browser in as the same merchant as e.b.
func (e *custEnv) secondStaff() *browser {
	e.t.Helper()
	b := e.h.newBrowser()
	b.signIn(0)
	return b
}

// submitAs fills in the form matched by selector on p, changes set, and
// posts it from browser b.
func submitAs(t *testing.T, b *browser, p *page, selector string, set map[string]string) *page {
	t.Helper()
	action, values := custFormValues(t, p, selector)
	for k, v := range set {
		values.Set(k, v)
	}
	return b.post(action, values)
}

func TestTwoStaffEditingTheSameCustomerGetAConflictRatherThanAnOverwrite(t *testing.T) {
	e := newCustEnv(t, 0)
	other := e.secondStaff()
	cu := e.create(square.CreateCustomerRequest{GivenName: "Marie", FamilyName: "Curie", Note: "original"})
	mine := e.b.get("/customers/" + cu.ID + "/edit")
	theirs := other.get("/customers/" + cu.ID + "/edit")
	expect(t, mine, http.StatusOK)
	expect(t, theirs, http.StatusOK)

	p := submitAs(t, other, theirs, custFormSel, map[string]string{"given_name": "Maria"})
	expectRedirect(t, p, "/customers/"+cu.ID)

	p = e.submit(mine, custFormSel, map[string]string{"note": "my note"})
	expect(t, p, http.StatusConflict)
	if p.testID("conflict").Length() != 1 {
		t.Fatalf("second save: no data-testid=conflict\n%s", truncate(p.Body))
	}
	rows := conflictRows(p)
	if got, want := rows["note"], (conflictRow{mine: "my note", square: "original", checked: "mine"}); got != want {
		t.Errorf("conflict row note = %+v, want %+v", got, want)
	}
	if got, want := rows["given_name"], (conflictRow{mine: "Marie", square: "Maria", checked: "square"}); got != want {
		t.Errorf("conflict row given_name = %+v, want %+v", got, want)
	}
	if got := e.get(cu.ID); got.GivenName != "Maria" || got.Note != "original" || got.Version != 1 {
		t.Errorf("customer after the refused save = %q / %q at version %d, want Maria / original at 1: no silent overwrite", got.GivenName, got.Note, got.Version)
	}

	// Re-applying from the conflict page keeps the other person's name.
	p = e.submit(p, `[data-testid="conflict-form"]`, nil)
	e.expectFlash(p, "/customers/"+cu.ID, "Customer updated.")
	if got := e.get(cu.ID); got.GivenName != "Maria" || got.Note != "my note" {
		t.Errorf("customer after resolving = %q / %q, want Maria / my note", got.GivenName, got.Note)
	}
}

func TestAnEditOfACustomerDeletedMeanwhileSaysSoAndRecreatesNothing(t *testing.T) {
	e := newCustEnv(t, 0)
	other := e.secondStaff()
	cu := e.create(square.CreateCustomerRequest{GivenName: "Gone", FamilyName: "Soon"})
	before := e.count()
	edit := e.b.get("/customers/" + cu.ID + "/edit")
	expect(t, edit, http.StatusOK)

	confirm := other.get("/customers/" + cu.ID + "/delete")
	expect(t, confirm, http.StatusOK)
	p := submitAs(t, other, confirm, deleteFormSel, nil)
	expectRedirect(t, p, "/customers")

	p = e.submit(edit, custFormSel, map[string]string{"given_name": "Still here?"})
	expectErrorPage(t, p, http.StatusNotFound)
	if got := custText(p, "error-page"); !strings.Contains(got, "This customer no longer exists") {
		t.Errorf("edit after the delete = %q, want it to say the customer no longer exists", got)
	}
	if _, err := e.sq.Customers.Get(t.Context(), cu.ID); !square.IsNotFound(err) {
		t.Errorf("Customers.Get(%s) after the edit = %v, want NOT_FOUND", cu.ID, err)
	}
	if got := e.count(); got != before-1 {
		t.Errorf("customers = %d, want %d", got, before-1)
	}
	if n := e.calls(callCreate); n != 1 {
		t.Errorf("CreateCustomer calls = %d, want 1 (the test's own): nothing recreated", n)
	}
}

func TestACardRemovedInOneTabIsRemovedOnceWhenTheOtherTabRemovesItToo(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Two", FamilyName: "Tabs"})
	card := e.addCard(cu.ID, e.visa("94103"), "Two Tabs")
	target := "/customers/" + cu.ID + "/cards/" + card.ID + "/remove"
	tab1, tab2 := e.b.get(target), e.b.get(target)
	expect(t, tab1, http.StatusOK)
	expect(t, tab2, http.StatusOK)

	const formSel = `[data-testid="remove-card-form"]`
	e.expectFlash(e.submit(tab1, formSel, nil), "/customers/"+cu.ID, "Card removed.")
	e.expectFlash(e.submit(tab2, formSel, nil), "/customers/"+cu.ID, "Card removed.")
	if n := e.calls(callDisableCard); n != 1 {
		t.Errorf("DisableCard calls = %d, want 1: the second tab finds it removed", n)
	}
	cards := e.cardsOf(cu.ID)
	if len(cards) != 1 || cards[0].Enabled {
		t.Errorf("cards = %+v, want the one card, disabled", cards)
	}
}

func TestACardAddedForACustomerDeletedInAnotherTabSaysTheCustomerIsGone(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Deleted", FamilyName: "Elsewhere"})
	cardPage := e.cardPage(cu.ID)
	confirm := e.b.get("/customers/" + cu.ID + "/delete")
	e.expectFlash(e.submit(confirm, deleteFormSel, nil), "/customers", "Customer deleted.")

	p := e.submitCard(cardPage, e.visa("94103"), "Too Late", "94103")
	expectErrorPage(t, p, http.StatusNotFound)
	if got := custText(p, "error-page"); !strings.Contains(got, "This customer no longer exists") || !strings.Contains(got, "the card was not added") {
		t.Errorf("page = %q, want it to say the customer is gone and the card was not added", got)
	}
	if n := e.h.emu.CountCalls(callCreateCard, http.StatusOK); n != 0 {
		t.Errorf("CreateCard calls answered 200 = %d, want none", n)
	}
	if n := len(e.cardsOf(cu.ID)); n != 0 {
		t.Errorf("cards of the deleted customer = %d, want 0", n)
	}
}

func TestTheSameCreateFormSubmittedFromTwoTabsAtOnceCreatesOneCustomer(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	form := e.b.get("/customers/new")
	expect(t, form, http.StatusOK)
	key := custHiddenOf(t, form, "idempotency_key")
	action, values := custFormValues(t, form, custFormSel)
	values.Set("given_name", "Twin")
	values.Set("family_name", "Tabs")

	// Both tabs press Save at the same moment. The goroutines only
	// collect; the test goroutine asserts.
	type answer struct {
		status   int
		location string
		err      error
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			resp, err := e.b.client.PostForm(e.h.url(action), values)
			if err != nil {
				answers[i].err = err
				return
			}
			_ = resp.Body.Close()
			answers[i] = answer{status: resp.StatusCode, location: resp.Header.Get("Location")}
		})
	}
	wg.Wait()
	for i, a := range answers {
		if a.err != nil || a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/customers/") {
			t.Fatalf("tab %d: POST %s = %d %q %v, want 303 to the profile", i+1, action, a.status, a.location, a.err)
		}
	}
	if answers[0].location != answers[1].location {
		t.Errorf("the tabs went to %q and %q, want the same customer", answers[0].location, answers[1].location)
	}
	if got := e.count(); got != before+1 {
		t.Errorf("customers after two tabs saved = %d, want %d", got, before+1)
	}
	keys := e.keysOf(callCreate)
	if len(keys) != 2 || keys[0] != key || keys[1] != key {
		t.Errorf("CreateCustomer idempotency keys = %q, want the form's %q twice", keys, key)
	}
	p := e.b.get(answers[0].location)
	expect(t, p, http.StatusOK)
	if got := custText(p, "customer-name"); got != "Twin Tabs" {
		t.Errorf("profile name = %q, want Twin Tabs", got)
	}
}
