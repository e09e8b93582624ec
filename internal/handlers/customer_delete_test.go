package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// deleteFormSel is the selector of the delete form on a page.
const deleteFormSel = `[data-testid="delete-confirm"] form, [data-testid="delete-conflict"] form`

// expectDeleted fails unless Square no longer has the customer.
func (e *custEnv) expectDeleted(id string) {
	e.t.Helper()
	if _, err := e.sq.Customers.Get(e.t.Context(), id); !square.IsNotFound(err) {
		e.t.Errorf("Customers.Get(%s) after the delete = %v, want NOT_FOUND", id, err)
	}
}

func TestTheConfirmationPageNamesTheCustomerAndDeletesWithItsVersion(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Rosalind", FamilyName: "Franklin"})
	cu = e.update(cu.ID, square.UpdateCustomerRequest{Note: square.Set("v1")})
	p := e.b.get("/customers/" + cu.ID + "/delete")
	expect(t, p, http.StatusOK)
	if got := custText(p, "delete-confirm"); !strings.Contains(got, "Delete Rosalind Franklin?") {
		t.Errorf("confirmation = %q, want it to name the customer", got)
	}
	if href, _ := p.testID("cancel-delete").Attr("href"); href != "/customers/"+cu.ID {
		t.Errorf("Cancel = %q, want the profile", href)
	}
	p = e.submit(p, deleteFormSel, nil)
	e.expectFlash(p, "/customers", "Customer deleted.")
	e.expectDeleted(cu.ID)
	deletes := e.h.emu.Calls()
	var version *int64
	for _, c := range deletes {
		if c.Pattern == callDelete {
			version = c.Version
		}
	}
	if version == nil || *version != 1 {
		t.Errorf("DeleteCustomer version = %v, want 1", version)
	}
}

func TestTheProfileDialogDeletesToo(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Dialog"})
	p := e.b.get("/customers/" + cu.ID)
	p = e.submit(p, `#delete-dialog form`, nil)
	e.expectFlash(p, "/customers", "Customer deleted.")
	e.expectDeleted(cu.ID)
}

func TestADeleteConflictShowsWhatChangedAndCanDeleteAnyway(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Lise", EmailAddress: "old@example.com"})
	p := e.b.get("/customers/" + cu.ID + "/delete")
	e.update(cu.ID, square.UpdateCustomerRequest{EmailAddress: square.Set("new@example.com"), Birthday: square.Set("11-07")})

	p = e.submit(p, deleteFormSel, nil)
	expect(t, p, http.StatusConflict)
	if p.testID("delete-conflict").Length() != 1 {
		t.Fatalf("409 page has no data-testid=delete-conflict\n%s", truncate(p.Body))
	}
	changes := map[string][2]string{}
	p.Doc.Find(`[data-testid="change"]`).Each(func(_ int, s *goquery.Selection) {
		key, _ := s.Attr("data-field")
		changes[key] = [2]string{
			strings.TrimSpace(s.Find(`[data-testid="change-before"]`).Text()),
			strings.TrimSpace(s.Find(`[data-testid="change-after"]`).Text()),
		}
	})
	want := map[string][2]string{
		"email_address": {"old@example.com", "new@example.com"},
		"birthday":      {"(empty)", "7 November"},
	}
	if len(changes) != len(want) || changes["email_address"] != want["email_address"] || changes["birthday"] != want["birthday"] {
		t.Errorf("changes = %v, want %v", changes, want)
	}
	if e.get(cu.ID).ID != cu.ID {
		t.Fatal("the customer was deleted despite the conflict")
	}

	p = e.submit(p, deleteFormSel, nil)
	e.expectFlash(p, "/customers", "Customer deleted.")
	e.expectDeleted(cu.ID)
}

func TestADeleteRetriedAfterItsAnswerWasLostCountsAsDone(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Twice"})
	confirm := e.b.get("/customers/" + cu.ID + "/delete")
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Endpoint: callDelete, Count: 1}); err != nil {
		t.Fatal(err)
	}
	p := e.submit(confirm, deleteFormSel, nil)
	if got := custText(p, "save-failed"); p.StatusCode < 500 || !strings.Contains(got, "may not have been deleted") {
		t.Fatalf("POST delete with a lost answer = %d %q, want a 5xx saying it may not have been deleted", p.StatusCode, got)
	}
	e.expectDeleted(cu.ID)

	// Pressing the button again finds nothing to delete: done.
	p = e.submit(p, deleteFormSel, nil)
	e.expectFlash(p, "/customers", "The customer is no longer in your directory.")
	if n := e.h.emu.CountCalls(callDelete, http.StatusNotFound); n != 1 {
		t.Errorf("DeleteCustomer calls answered 404 = %d, want 1", n)
	}
}

func TestAFailureAtSquareOnDeleteSaysTheCustomerWasNotDeleted(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Stays"})
	confirm := e.b.get("/customers/" + cu.ID + "/delete")
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callDelete, Count: 1}); err != nil {
		t.Fatal(err)
	}
	p := e.submit(confirm, deleteFormSel, nil)
	expect(t, p, http.StatusServiceUnavailable)
	if got := custText(p, "save-failed"); !strings.Contains(got, "The customer was not deleted.") {
		t.Errorf("message = %q, want it to say the customer was not deleted", got)
	}
	if got := custText(p, "delete-confirm"); !strings.Contains(got, "Delete Stays?") {
		t.Errorf("page = %q, want the confirmation again", got)
	}
	if e.get(cu.ID).GivenName != "Stays" {
		t.Error("the customer is gone, want it kept")
	}
	p = e.submit(p, deleteFormSel, nil)
	e.expectFlash(p, "/customers", "Customer deleted.")
	e.expectDeleted(cu.ID)
}

func TestAnotherMerchantsCustomerCannotBeSeenChangedOrDeleted(t *testing.T) {
	e := newCustEnv(t, 0)
	other := e.h.newBrowser()
	other.signIn(1)
	d, _ := e.h.sessionData(other.sessionCookie())
	theirs, err := e.h.square.WithAccessToken(d.AccessToken).Customers.Create(t.Context(), &square.CreateCustomerRequest{GivenName: "Not yours"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/customers/" + theirs.ID, "/customers/" + theirs.ID + "/edit", "/customers/" + theirs.ID + "/delete"} {
		expectErrorPage(t, e.b.get(path), http.StatusNotFound)
	}
	// Forms made up by hand, with a valid CSRF token of this browser.
	token := csrfToken(t, e.b.get("/customers/new"))
	p := e.b.post("/customers/"+theirs.ID, map[string][]string{
		"_csrf": {token}, "version": {"0"}, "orig_given_name": {"Not yours"}, "given_name": {"Mine now"},
	})
	expectErrorPage(t, p, http.StatusNotFound)
	e.b.post("/customers/"+theirs.ID+"/delete", map[string][]string{"_csrf": {token}, "version": {"0"}})
	got, err := e.h.square.WithAccessToken(d.AccessToken).Customers.Get(t.Context(), theirs.ID)
	if err != nil || got.GivenName != "Not yours" {
		t.Errorf("the other merchant's customer = %v, %v; want it unchanged", got, err)
	}
}

// A profile prefetched while the directory is open (the pointer resting on
// a row), or fetched by live.js to see what changed, leaves the message of
// the delete for the page the person sees.
func TestAPrefetchedPageLeavesTheMessagesForThePageShown(t *testing.T) {
	e := newCustEnv(t, 0)
	gone := e.create(square.CreateCustomerRequest{GivenName: "Gone"})
	other := e.create(square.CreateCustomerRequest{GivenName: "Other"})
	p := e.b.get("/customers/" + gone.ID + "/delete")
	p = e.submit(p, deleteFormSel, nil)
	expectRedirect(t, p, "/customers")

	for _, purpose := range [][]string{{"Sec-Purpose", "prefetch"}, {"Sec-Purpose", "prefetch;anonymous-client-ip"}, {"Purpose", "prefetch"}, {"Tessera-Live-Refresh", "1"}} {
		ahead := e.b.get("/customers/"+other.ID, purpose...)
		expect(t, ahead, http.StatusOK)
		if got := custText(ahead, "flash"); got != "" {
			t.Errorf("a background fetch (%s) showed the flash %q", purpose, got)
		}
	}
	e.expectFlash(p, "/customers", "Customer deleted.")
}
