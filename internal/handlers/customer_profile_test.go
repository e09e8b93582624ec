package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestTheProfileShowsEveryFieldFormatted(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{
		GivenName: "Ada", FamilyName: "Lovelace", Nickname: "Countess", CompanyName: "Analytical Engines",
		EmailAddress: "ada@example.com", PhoneNumber: "+44 20 7946 0018",
		Address: &square.Address{
			AddressLine1: "12 St James's Square", AddressLine2: "Flat 2", Locality: "London",
			AdministrativeDistrictLevel1: "Greater London", PostalCode: "SW1Y 4JH", Country: "GB",
		},
		Birthday: "1815-12-10", ReferenceID: "ADA-1", Note: "Prefers letters.\nAllergic to nuts.",
	})
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)

	tests := []struct{ testID, want string }{
		{"customer-name", "Ada Lovelace"},
		{"detail-given_name", "Ada"},
		{"detail-family_name", "Lovelace"},
		{"detail-nickname", "Countess"},
		{"detail-company_name", "Analytical Engines"},
		{"detail-email_address", "ada@example.com"},
		{"detail-phone_number", "+44 20 7946 0018"},
		{"detail-address", "12 St James's Square Flat 2 London, Greater London SW1Y 4JH United Kingdom"},
		{"detail-birthday", "10 December 1815"},
		{"detail-reference_id", "ADA-1"},
		{"detail-note", "Prefers letters. Allergic to nuts."},
		{"detail-groups", "None"},
		{"detail-creation_source", "An app connected to Square, such as Tessera"},
		{"detail-created_at", "2 Mar 2026, 09:00 UTC"},
		{"detail-updated_at", "2 Mar 2026, 09:00 UTC"},
		{"detail-email_unsubscribed", "No"},
	}
	for _, tt := range tests {
		if got := custText(p, tt.testID); got != tt.want {
			t.Errorf("GET /customers/%s: %s = %q, want %q", cu.ID, tt.testID, got, tt.want)
		}
	}
	if n := p.testID("detail-address").Find("br").Length(); n != 3 {
		t.Errorf("GET /customers/%s: the address has %d line breaks, want 3 (four lines)", cu.ID, n)
	}
	if href, _ := p.testID("detail-email_address").Find("a").Attr("href"); href != "mailto:ada@example.com" {
		t.Errorf("GET /customers/%s: email link = %q, want mailto:ada@example.com", cu.ID, href)
	}
	if href, _ := p.testID("detail-phone_number").Find("a").Attr("href"); href != "tel:+442079460018" {
		t.Errorf("GET /customers/%s: phone link = %q, want tel:+442079460018", cu.ID, href)
	}
	if got := p.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET /customers/%s: Cache-Control = %q, want no-store", cu.ID, got)
	}
}

func TestTheProfileShowsABirthdayWithoutAYearAndEmptyFieldsPlainly(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{CompanyName: "Babbage & Co", Birthday: "02-29"})
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	for testID, want := range map[string]string{
		"customer-name":       "Babbage & Co",
		"detail-birthday":     "29 February",
		"detail-given_name":   "Not provided",
		"detail-address":      "Not provided",
		"detail-note":         "Not provided",
		"detail-phone_number": "Not provided",
	} {
		if got := custText(p, testID); got != want {
			t.Errorf("GET /customers/%s: %s = %q, want %q", cu.ID, testID, got, want)
		}
	}
}

func TestTheProfileNamesTheCustomersGroups(t *testing.T) {
	e := newCustEnv(t, 0)
	ctx := t.Context()
	var withGroups *square.Customer
	for _, cu := range listCustomers(t, e.sq) {
		if len(cu.GroupIDs) > 0 {
			withGroups = &cu
			break
		}
	}
	if withGroups == nil {
		t.Skip("squarelocal seeded no customer in a group")
	}
	names := map[string]string{}
	for g, err := range e.sq.Customers.AllGroups(ctx) {
		if err != nil {
			t.Fatalf("Customers.AllGroups: %v", err)
		}
		names[g.ID] = g.Name
	}
	p := e.b.get("/customers/" + withGroups.ID)
	expect(t, p, http.StatusOK)
	got := custText(p, "detail-groups")
	for _, id := range withGroups.GroupIDs {
		if !strings.Contains(got, names[id]) {
			t.Errorf("GET /customers/%s: groups = %q, want it to name %q", withGroups.ID, got, names[id])
		}
	}
}

// customerWithCards finds a seeded customer with an enabled card on file.
func customerWithCards(t testing.TB, e *custEnv) (string, []square.Card) {
	t.Helper()
	byCustomer := map[string][]square.Card{}
	first := ""
	for _, card := range listCards(t, e.sq, square.ListCardsParams{}) {
		if card.CustomerID == "" {
			continue
		}
		if first == "" {
			first = card.CustomerID
		}
		byCustomer[card.CustomerID] = append(byCustomer[card.CustomerID], card)
	}
	if first == "" {
		t.Fatal("squarelocal seeded no cards on file, want some")
	}
	return first, byCustomer[first]
}

func TestTheProfileListsTheCardsOnFile(t *testing.T) {
	e := newCustEnv(t, 0)
	id, cards := customerWithCards(t, e)
	p := e.b.get("/customers/" + id)
	expect(t, p, http.StatusOK)
	items := p.Doc.Find(`[data-testid="cards"] li[data-card-id]`)
	if items.Length() != len(cards) {
		t.Fatalf("GET /customers/%s lists %d cards, want %d\n%s", id, items.Length(), len(cards), truncate(p.testID("cards").Text()))
	}
	for i, card := range cards {
		item := items.Eq(i)
		if got, _ := item.Attr("data-card-id"); got != card.ID {
			t.Errorf("card %d id = %q, want %q", i, got, card.ID)
		}
		if got := strings.TrimSpace(item.Find(`[data-testid="card-last4"]`).Text()); got != card.Last4 {
			t.Errorf("card %d last 4 = %q, want %q", i, got, card.Last4)
		}
		if want := "/" + itoa(card.ExpYear); !strings.Contains(item.Text(), want) {
			t.Errorf("card %d text = %q, want the expiry year %q", i, item.Text(), want)
		}
	}
}

func itoa(n int64) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestAProfileWithoutCardsSaysSo(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "No", FamilyName: "Cards"})
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	if got := custText(p, "no-cards"); got != "No cards on file." {
		t.Errorf("GET /customers/%s: no-cards = %q, want %q", cu.ID, got, "No cards on file.")
	}
}

func TestAWarmProfileCostsTwoSquareCallsMadeSideBySide(t *testing.T) {
	e := newCustEnv(t, 0)
	id, _ := customerWithCards(t, e)
	expect(t, e.b.get("/customers/"+id), http.StatusOK) // warms the merchant's group names
	e.h.emu.ResetCalls()

	p := e.b.get("/customers/" + id)
	expect(t, p, http.StatusOK)
	calls := e.h.emu.Calls()
	var got []string
	for _, c := range calls {
		got = append(got, c.Pattern)
	}
	if len(calls) != 2 || e.calls(callGet) != 1 || e.calls(callCards) != 1 {
		t.Fatalf("GET /customers/%s made Square calls %q, want exactly one %q and one %q", id, got, callGet, callCards)
	}
	// That they run side by side is proven without timing in
	// TestRunParallelRunsEveryFunctionAtOnce.
}

func TestTheProfileOfAnUnknownOrDeletedCustomerIsANotFoundPage(t *testing.T) {
	e := newCustEnv(t, 0)
	gone := e.create(square.CreateCustomerRequest{GivenName: "Gone"})
	if err := e.sq.Customers.Delete(t.Context(), gone.ID, nil); err != nil {
		t.Fatalf("Customers.Delete(%s) = %v", gone.ID, err)
	}
	for _, tt := range []struct{ name, id string }{
		{"an unknown id", "JDKYHBWT1D4F8MFH63DBMEN8Y4"},
		{"a deleted customer", gone.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := e.b.get("/customers/" + tt.id)
			expectErrorPage(t, p, http.StatusNotFound)
			if href, _ := p.testID("error-back").Attr("href"); href != "/customers" {
				t.Errorf("GET /customers/%s: way back = %q, want /customers", tt.id, href)
			}
			if got := custText(p, "error-page"); !strings.Contains(got, "Customer not found") {
				t.Errorf("GET /customers/%s: page = %q, want it to say Customer not found", tt.id, got)
			}
		})
	}
}

func TestAProfileAddressWithOddCharactersIsANotFoundPageWithoutAskingSquare(t *testing.T) {
	e := newCustEnv(t, 0)
	for _, tt := range []struct{ name, path string }{
		{"markup in the id", "/customers/%3Cscript%3Ealert(1)%3C%2Fscript%3E"},
		{"a path climbing to another endpoint", "/customers/..%2F..%2Fv2%2Fmerchants"},
		{"a space in the id", "/customers/a%20b"},
		{"a NUL byte", "/customers/%00"},
		{"the name of Square's groups endpoint", "/customers/groups"},
		{"an id far too long", "/customers/" + strings.Repeat("A", 300)},
		{"a non-ASCII id on the edit form", "/customers/%E2%98%83/edit"},
		{"the groups endpoint on the delete page", "/customers/groups/delete"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.h.emu.ResetCalls()
			p := e.b.get(tt.path)
			expectErrorPage(t, p, http.StatusNotFound)
			if n := len(e.h.emu.Calls()); n != 0 {
				t.Errorf("GET %s made %d Square calls, want none", tt.path, n)
			}
		})
	}
}

func TestTheProfileOffersEditAndADeleteThatWorksWithAndWithoutJavaScript(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper"})
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	if href, _ := p.testID("edit-customer").Attr("href"); href != "/customers/"+cu.ID+"/edit" {
		t.Errorf("Edit link = %q, want /customers/%s/edit", href, cu.ID)
	}
	del := p.testID("delete-customer")
	if got := strings.TrimSpace(del.Text()); got != "Delete" || goquery.NodeName(del) != "button" {
		t.Errorf("delete control = <%s> %q, want a button Delete", goquery.NodeName(del), got)
	}
	if got, _ := del.Attr("data-confirm-dialog"); got != "delete-dialog" {
		t.Errorf("Delete button data-confirm-dialog = %q, want delete-dialog", got)
	}
	// Without JavaScript the button submits a GET form to the confirmation page.
	form := del.Closest("form")
	if method, _ := form.Attr("method"); method != "get" {
		t.Errorf("Delete button's form method = %q, want get", method)
	}
	if action, _ := form.Attr("action"); action != "/customers/"+cu.ID+"/delete" {
		t.Errorf("Delete button's form action = %q, want the confirmation page", action)
	}
	// With JavaScript, the dialog holds the form that deletes.
	dialog := p.Doc.Find(`dialog#delete-dialog`)
	if !strings.Contains(dialog.Text(), "Delete Grace Hopper?") {
		t.Errorf("dialog text = %q, want it to name the customer", dialog.Text())
	}
	action, values := custFormValues(t, p, `#delete-dialog form`)
	if action != "/customers/"+cu.ID+"/delete" || values.Get("version") != "0" || values.Get("_csrf") == "" {
		t.Errorf("dialog form = %s %v, want a post to /customers/%s/delete with version 0 and the CSRF token", action, values, cu.ID)
	}
}
