package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// groupByName finds the merchant's group of that name at Square.
func (e *custEnv) groupByName(name string) (square.CustomerGroup, bool) {
	e.t.Helper()
	for g, err := range e.sq.Customers.AllGroups(e.t.Context()) {
		if err != nil {
			e.t.Fatal(err)
		}
		if g.Name == name {
			return g, true
		}
	}
	return square.CustomerGroup{}, false
}

func TestGroupsPageCreatesRenamesAndDeletesAGroup(t *testing.T) {
	e := newCustEnv(t, 0)
	p := e.b.get("/groups")
	expect(t, p, http.StatusOK)
	if p.Doc.Find(`nav a[href="/groups"][aria-current="page"]`).Length() != 1 {
		t.Error("the header has no current Groups link")
	}
	// The filter sees a new group at once: load the directory to fill
	// the cache first.
	expect(t, e.b.get("/customers"), http.StatusOK)
	p = e.submit(p, `[data-testid="new-group"] form`, map[string]string{"name": "  Trade fair "})
	e.expectFlash(p, "/groups", "Group “Trade fair” created.")
	g, ok := e.groupByName("Trade fair")
	if !ok {
		t.Fatal("Square has no group Trade fair after Create group")
	}
	d := e.b.get("/customers")
	if d.Doc.Find(`select[name="group"] option[value="`+g.ID+`"]`).Length() != 1 {
		t.Error("the directory's group filter does not offer the new group at once")
	}

	// A name another group has (in any case) is refused, what was typed kept.
	p = e.submit(e.b.get("/groups"), `[data-testid="new-group"] form`, map[string]string{"name": "trade fair"})
	expect(t, p, http.StatusUnprocessableEntity)
	if got := p.Doc.Find("#group-name-error").Text(); !strings.Contains(got, "already a group named") {
		t.Errorf("duplicate name error = %q", got)
	}
	if v, _ := p.Doc.Find(`#group-name`).Attr("value"); v != "trade fair" {
		t.Errorf("typed name kept = %q, want trade fair", v)
	}
	p = e.submit(e.b.get("/groups"), `[data-testid="new-group"] form`, map[string]string{"name": strings.Repeat("n", 256)})
	expect(t, p, http.StatusUnprocessableEntity)
	p = e.submit(e.b.get("/groups"), `[data-testid="new-group"] form`, map[string]string{"name": " "})
	expect(t, p, http.StatusUnprocessableEntity)

	cu := e.create(square.CreateCustomerRequest{GivenName: "Member"})
	if err := e.sq.Customers.AddToGroup(t.Context(), cu.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	p = e.b.get("/groups/" + g.ID + "/rename")
	expect(t, p, http.StatusOK)
	p = e.submit(p, `[data-testid="rename-group-form"] form`, map[string]string{"name": "Renamed"})
	e.expectFlash(p, "/groups", "Group renamed to “Renamed”.")
	if _, ok := e.groupByName("Renamed"); !ok {
		t.Error("Square has no group Renamed after the rename")
	}

	p = e.b.get("/groups/" + g.ID + "/delete")
	expect(t, p, http.StatusOK)
	if got := custText(p, "delete-group-members"); !strings.HasPrefix(got, "1 customer is in this group") {
		t.Errorf("delete confirmation = %q, want it to say 1 customer is in it", got)
	}
	p = e.submit(p, `[data-testid="delete-group-confirm"] form`, nil)
	e.expectFlash(p, "/groups", "Group “Renamed” deleted.")
	if _, ok := e.groupByName("Renamed"); ok {
		t.Error("the group is still at Square after the delete")
	}
	if _, err := e.sq.Customers.Get(t.Context(), cu.ID); err != nil {
		t.Errorf("the member after its group was deleted = %v, want it kept", err)
	}
	expect(t, e.b.get("/groups/NOPE/delete"), http.StatusNotFound)
}

func TestAnotherMerchantsGroupIsNotFound(t *testing.T) {
	e := newCustEnv(t, 0)
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Mine")
	if err != nil {
		t.Fatal(err)
	}
	other := e.h.newBrowser()
	other.signIn(1)
	expect(t, other.get("/groups/"+g.ID+"/rename"), http.StatusNotFound)
}

func TestProfileAddsToGroupsAndRemovesFromOne(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grouped"})
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Newsletter")
	if err != nil {
		t.Fatal(err)
	}
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	if p.testID("no-profile-groups").Length() != 1 {
		t.Error("the profile does not say the customer is in no group")
	}
	action, _ := p.testID("add-to-group").Attr("action")
	form := url.Values{"_csrf": {csrfToken(t, p)}, "group": {g.ID}, "name": {"Gold club"}}
	p = e.b.post(action, form)
	expectRedirect(t, p, "/customers/"+cu.ID+"#groups")
	gold, ok := e.groupByName("Gold club")
	if !ok {
		t.Fatal("no group VIP made on the spot")
	}
	got := e.get(cu.ID).GroupIDs
	if !slices.Contains(got, g.ID) || !slices.Contains(got, gold.ID) {
		t.Errorf("group_ids = %v, want %s and %s", got, g.ID, gold.ID)
	}
	p = e.b.get("/customers/" + cu.ID)
	if n := p.testID("profile-group").Length(); n != 2 {
		t.Errorf("profile lists %d groups, want 2", n)
	}
	// Nothing chosen is refused with a word.
	p = e.b.post(action, url.Values{"_csrf": {csrfToken(t, p)}})
	expect(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(custText(p, "groups-error"), "Tick a group") {
		t.Errorf("empty add error = %q", custText(p, "groups-error"))
	}
	p = e.b.get("/customers/" + cu.ID)
	remove, _ := p.Doc.Find(`[data-testid="profile-group"] form`).First().Attr("action")
	p = e.b.post(remove, url.Values{"_csrf": {csrfToken(t, p)}})
	expectRedirect(t, p, "/customers/"+cu.ID+"#groups")
	if n := len(e.get(cu.ID).GroupIDs); n != 1 {
		t.Errorf("after Remove from group the customer is in %d groups, want 1", n)
	}
}
