package handlers_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/webhook"
)

// The history of changes, as staff see it on a profile, on the Activity
// page and in its export.

// signInNamed walks the sign-in as merchantIndex, typing name into "Your
// name, shown in the history".
func (b *browser) signInNamed(merchantIndex int, name string) {
	b.h.t.Helper()
	t := b.h.t
	p := b.get("/login")
	expect(t, p, http.StatusOK)
	p = b.post("/login", url.Values{"_csrf": {csrfToken(t, p)}, "staff_name": {name}})
	expect(t, p, http.StatusSeeOther)
	authorize, err := url.Parse(p.location())
	if err != nil {
		t.Fatal(err)
	}
	p = b.get(b.consent(authorize, merchantIndex, "allow").String())
	expectRedirect(t, p, "/customers")
}

// newNamedEnv is newCustEnv signed in with a name.
func newNamedEnv(t *testing.T, merchant int, name string, opts ...harnessOption) *custEnv {
	t.Helper()
	h := newHarness(t, opts...)
	b := h.newBrowser()
	b.signInNamed(merchant, name)
	d, ok := h.sessionData(b.sessionCookie())
	if !ok {
		t.Fatal("after signing in the session is signed out")
	}
	return &custEnv{t: t, h: h, b: b, sq: h.square.WithAccessToken(d.AccessToken)}
}

// historyEntry is one entry as a page shows it.
type historyEntry struct {
	kind, detail, who, card, customer string
	// changes are "Label: from → to".
	changes []string
}

// historyEntries reads the entries of a page, newest first.
func historyEntries(p *page) []historyEntry {
	var out []historyEntry
	p.testID("history-entry").Each(func(_ int, s *goquery.Selection) {
		text := func(id string) string {
			return strings.Join(strings.Fields(s.Find(`[data-testid="`+id+`"]`).Text()), " ")
		}
		e := historyEntry{kind: s.AttrOr("data-kind", ""), detail: text("history-detail"), who: text("history-who"),
			card: text("history-card"), customer: text("history-customer")}
		s.Find(`[data-testid="change"]`).Each(func(_ int, r *goquery.Selection) {
			e.changes = append(e.changes, strings.TrimSpace(r.Find("th").Text())+": "+
				strings.TrimSpace(r.Find(`[data-testid="change-before"]`).Text())+" → "+
				strings.TrimSpace(r.Find(`[data-testid="change-after"]`).Text()))
		})
		out = append(out, e)
	})
	return out
}

// ofKind keeps the entries of one kind.
func ofKind(es []historyEntry, kind string) []historyEntry {
	return slices.DeleteFunc(slices.Clone(es), func(e historyEntry) bool { return e.kind != kind })
}

// profileHistory opens a customer's profile and reads its History.
func (e *custEnv) profileHistory(id string) []historyEntry {
	e.t.Helper()
	p := e.b.get("/customers/" + id)
	expect(e.t, p, http.StatusOK)
	if p.testID("history").Length() != 1 {
		e.t.Fatalf("the profile has no History section")
	}
	return historyEntries(p)
}

func TestAnEditIsRecordedWithTheFieldsChangedAndTheNameGiven(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "  Grace Hopper ")
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", EmailAddress: "ada@example.com"})
	waitDelivered(t, e.h)
	form := e.b.get("/customers/" + cu.ID + "/edit")
	p := e.submit(form, custFormSel, map[string]string{"email_address": "ada@example.org", "nickname": "Countess"})
	expectRedirect(t, p, "/customers/"+cu.ID)
	// Square's webhook for this very change reaches the index too: it must
	// not be recorded a second time.
	waitDelivered(t, e.h)

	edits := ofKind(e.profileHistory(cu.ID), "edited")
	if len(edits) != 1 {
		t.Fatalf("%d edit entries, want 1: %+v", len(edits), e.profileHistory(cu.ID))
	}
	got := edits[0]
	if got.who != "Grace Hopper" {
		t.Errorf("who = %q, want the name as given, trimmed", got.who)
	}
	want := []string{"Nickname: (empty) → Countess", "Email address: ada@example.com → ada@example.org"}
	if !slices.Equal(got.changes, want) {
		t.Errorf("changes = %q, want %q", got.changes, want)
	}
	// The creation at Square came by webhook: changed in Square, by no one
	// Tessera knows.
	square := ofKind(e.profileHistory(cu.ID), "changed_in_square")
	if len(square) != 1 || square[0].detail != "Created in Square" || !strings.Contains(square[0].who, "Square") {
		t.Errorf("entries changed in Square = %+v, want the creation", square)
	}

	// The Activity page shows the same, with the customer.
	act := e.b.get("/activity")
	expect(t, act, http.StatusOK)
	if got := ofKind(historyEntries(act), "edited"); len(got) != 1 || got[0].customer != "Ada" || got[0].who != "Grace Hopper" {
		t.Errorf("activity's edits = %+v", got)
	}
}

func TestCreateAndDeleteThroughTesseraAreRecordedOnce(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Lin")
	form := e.b.get("/customers/new")
	expect(t, form, http.StatusOK)
	p := e.submit(form, custFormSel, map[string]string{"given_name": "Newly", "family_name": "Made"})
	expect(t, p, http.StatusSeeOther)
	id := strings.TrimPrefix(p.location(), "/customers/")
	waitDelivered(t, e.h)
	es := e.profileHistory(id)
	if len(es) != 1 || es[0].kind != "created" || es[0].who != "Lin" ||
		!slices.Equal(es[0].changes, []string{"First name: (empty) → Newly", "Last name: (empty) → Made"}) {
		t.Fatalf("history of a new customer = %+v, want one creation by Lin", es)
	}
	confirm := e.b.get("/customers/" + id + "/delete")
	expect(t, confirm, http.StatusOK)
	expectRedirect(t, e.submit(confirm, deleteFormSel, nil), "/customers")
	waitDelivered(t, e.h)
	act := e.b.get("/activity?customer=" + id)
	expect(t, act, http.StatusOK)
	es = historyEntries(act)
	if len(es) != 2 || es[0].kind != "deleted" || es[0].customer != "Newly Made" || es[0].who != "Lin" {
		t.Errorf("activity of the customer = %+v, want its deletion by Lin, then its creation", es)
	}
}

func TestAWriteSquareDidNotTakeIsNotRecorded(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Grace")
	cu := e.create(square.CreateCustomerRequest{GivenName: "Steady"})
	waitDelivered(t, e.h)
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callUpdate}); err != nil {
		t.Fatal(err)
	}
	form := e.b.get("/customers/" + cu.ID + "/edit")
	expect(t, e.submit(form, custFormSel, map[string]string{"given_name": "Changed"}), http.StatusServiceUnavailable)
	e.h.emu.ClearFaults()
	if got := ofKind(e.profileHistory(cu.ID), "edited"); len(got) != 0 {
		t.Errorf("a failed edit left entries: %+v", got)
	}
	// A conflict is not a write either.
	form = e.b.get("/customers/" + cu.ID + "/edit")
	e.update(cu.ID, square.UpdateCustomerRequest{Nickname: square.Set("Theirs")})
	expect(t, e.submit(form, custFormSel, map[string]string{"given_name": "Mine"}), http.StatusConflict)
	waitDelivered(t, e.h)
	if got := ofKind(e.profileHistory(cu.ID), "edited"); len(got) != 0 {
		t.Errorf("an edit refused for its version left entries: %+v", got)
	}
	// Nor is a card Square declined.
	p := e.submitCard(e.cardPage(cu.ID), e.token("4000000000000002", "12/30", "111", "94103"), "Steady", "94103")
	expect(t, p, http.StatusUnprocessableEntity)
	if got := ofKind(e.profileHistory(cu.ID), "card_added"); len(got) != 0 {
		t.Errorf("a declined card left entries: %+v", got)
	}
}

func TestCardEntriesHoldTheBrandAndLastFourOnly(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Grace")
	cu := e.create(square.CreateCustomerRequest{GivenName: "Carded", FamilyName: "Person"})
	waitDelivered(t, e.h)
	p := e.submitCard(e.cardPage(cu.ID), e.visa("94103"), "Carded Person", "94103")
	expectRedirect(t, p, "/customers/"+cu.ID)
	cards := e.cardsOf(cu.ID)
	if len(cards) != 1 {
		t.Fatalf("%d cards, want 1", len(cards))
	}
	remove := e.b.get("/customers/" + cu.ID + "/cards/" + cards[0].ID + "/remove")
	expect(t, remove, http.StatusOK)
	expectRedirect(t, e.submit(remove, `[data-testid="remove-card-form"]`, nil), "/customers/"+cu.ID)

	es := e.profileHistory(cu.ID)
	added, removed := ofKind(es, "card_added"), ofKind(es, "card_removed")
	if len(added) != 1 || added[0].card != "Visa ending in 1111" || added[0].who != "Grace" {
		t.Errorf("card added entries = %+v, want one Visa ending in 1111 by Grace", added)
	}
	if len(removed) != 1 || removed[0].card != "Visa ending in 1111" {
		t.Errorf("card removed entries = %+v, want one Visa ending in 1111", removed)
	}
	export := e.b.get("/activity/export?customer=" + cu.ID)
	expect(t, export, http.StatusOK)
	for _, secret := range []string{"4111111111111111", "4111 1111", "94103", "12/30", "2030", cards[0].ID, cards[0].Fingerprint} {
		if secret != "" && strings.Contains(export.Body, secret) {
			t.Errorf("the history holds %q of the card:\n%s", secret, export.Body)
		}
	}
}

func TestAChangeMadeInSquareIsRecordedAsChangedInSquare(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Grace")
	merchant := e.h.merchant(0).ID
	cu := e.create(square.CreateCustomerRequest{GivenName: "Walk", FamilyName: "In", Nickname: "Old"})
	waitDelivered(t, e.h)
	if _, err := e.h.emu.ChangeElsewhere(merchant, cu.ID, func(c *squarelocal.Customer) { c.Nickname = "Changed at the counter" }); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, e.h)
	var changed []historyEntry
	for _, en := range ofKind(e.profileHistory(cu.ID), "changed_in_square") {
		if en.detail == "" {
			changed = append(changed, en)
		}
	}
	if len(changed) != 1 || !slices.Equal(changed[0].changes, []string{"Nickname: Old → Changed at the counter"}) ||
		!strings.Contains(changed[0].who, "Square") {
		t.Errorf("changes in Square = %+v, want the nickname from Old to Changed at the counter", changed)
	}
	act := e.b.get("/activity?kind=changed_in_square")
	expect(t, act, http.StatusOK)
	if got := historyEntries(act); len(got) != 2 || got[0].kind != "changed_in_square" {
		t.Errorf("activity filtered to Square's changes = %+v, want the change and the creation", got)
	}
}

func TestAnotherMerchantsHistoryIsNeverShown(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Grace")
	cu := e.create(square.CreateCustomerRequest{GivenName: "Secretive"})
	waitDelivered(t, e.h)
	form := e.b.get("/customers/" + cu.ID + "/edit")
	expectRedirect(t, e.submit(form, custFormSel, map[string]string{"note": "private note"}), "/customers/"+cu.ID)

	other := e.h.newBrowser()
	other.signInNamed(1, "Mallory")
	for _, target := range []string{"/activity", "/activity?customer=" + cu.ID, "/activity?customer=Secretive"} {
		p := other.get(target)
		expect(t, p, http.StatusOK)
		if n := len(historyEntries(p)); n != 0 || strings.Contains(p.Body, "private note") || strings.Contains(p.Body, "Grace") {
			t.Errorf("GET %s as another merchant shows %d entries of the first merchant's history", target, n)
		}
	}
	for _, target := range []string{"/activity/export", "/activity/export?customer=" + cu.ID} {
		p := other.get(target)
		expect(t, p, http.StatusOK)
		if lines := strings.Count(p.Body, "\n"); lines != 1 || strings.Contains(p.Body, "Secretive") {
			t.Errorf("GET %s as another merchant = %d lines, want the header only:\n%s", target, lines, p.Body)
		}
	}
}

func TestTheExportIsCSVWithFormulasNeutralised(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "@admin")
	cu := e.create(square.CreateCustomerRequest{GivenName: "=HYPERLINK(\"http://evil.test\")", Note: "plain"})
	waitDelivered(t, e.h)
	form := e.b.get("/customers/" + cu.ID + "/edit")
	expectRedirect(t, e.submit(form, custFormSel, map[string]string{"note": "-2+3"}), "/customers/"+cu.ID)

	p := e.b.get("/activity/export?kind=edited")
	expect(t, p, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := p.Header.Get("Content-Disposition"); cd != `attachment; filename="tessera-activity-2026-03-02.csv"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, p.Body)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the header and the edit:\n%s", len(rows), p.Body)
	}
	head, row := rows[0], rows[1]
	col := func(name string) string {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("no column %q in %q", name, head)
		}
		return row[i]
	}
	if got := col("Customer"); got != `'=HYPERLINK("http://evil.test")` {
		t.Errorf("Customer = %q, want the formula made text", got)
	}
	if got := col("Made by (name as given)"); got != "'@admin" {
		t.Errorf("Made by = %q, want the name made text", got)
	}
	if got := col("Fields changed"); got != "Note: plain → -2+3" {
		t.Errorf("Fields changed = %q", got)
	}
	if got := col("Change"); got != "Edited" || col("Customer ID") != cu.ID || col("Time (UTC)") != "2026-03-02 09:00:00" {
		t.Errorf("row = %q", row)
	}
	for _, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("cell %q starts like a formula", cell)
		}
	}
}

func TestBadActivityFiltersGetMessages(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "")
	for target, want := range map[string]string{
		"/activity?from=yesterday":                        "Enter “From” as a date",
		"/activity?to=2026-02-30":                         "Enter “To” as a date",
		"/activity?from=2026-03-05&to=2026-03-01":         "“To” is before “From”",
		"/activity?kind=exploded":                         "Choose a kind of change from the list.",
		"/activity?page=0":                                "not valid",
		"/activity?page=99999999999999999999":             "not valid",
		"/activity?customer=" + strings.Repeat("x", 201):  "at most 200 characters",
		"/activity/export?from=2026-13-01":                "Enter “From” as a date",
		"/activity?customer=%ff%fe":                       "at most 200 characters",
		"/activity?from=2026-03-05&to=2026-03-01&kind=no": "Choose a kind",
	} {
		p := e.b.get(target)
		expect(t, p, http.StatusUnprocessableEntity)
		if got := custText(p, "error-summary"); !strings.Contains(got, want) {
			t.Errorf("GET %s: messages = %q, want %q", target, got, want)
		}
	}
	// Filters that match nothing are no problem.
	p := e.b.get("/activity?from=2026-03-01&to=2026-03-01&kind=deleted&customer=nobody")
	expect(t, p, http.StatusOK)
	if got := custText(p, "history-empty"); got != "No changes match these filters." {
		t.Errorf("empty result says %q", got)
	}
	if got, _ := p.Doc.Find("#activity-from").Attr("value"); got != "2026-03-01" {
		t.Errorf("the From filter shows %q, want it kept", got)
	}
}

func TestTheActivityPageAndTheProfileHistoryPage(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Pager")
	cu := e.create(square.CreateCustomerRequest{GivenName: "Often"})
	waitDelivered(t, e.h)
	for i := range 12 {
		form := e.b.get("/customers/" + cu.ID + "/edit")
		e.h.clock.Advance(time.Minute)
		expectRedirect(t, e.submit(form, custFormSel, map[string]string{"note": "note " + string(rune('a'+i))}), "/customers/"+cu.ID)
	}
	p := e.b.get("/customers/" + cu.ID)
	first := historyEntries(p)
	if len(first) != 10 || first[0].changes[0] != "Note: note k → note l" {
		t.Fatalf("first page = %d entries, newest %+v; want 10, newest first", len(first), first[0])
	}
	older, ok := p.testID("history-older").Attr("href")
	if !ok || older != "/customers/"+cu.ID+"?history=2#history" {
		t.Fatalf("older link = %q", older)
	}
	p = e.b.get(older)
	expect(t, p, http.StatusOK)
	second := historyEntries(p)
	// Two edits and the creation in Square.
	if len(second) != 3 || second[2].detail != "Created in Square" {
		t.Errorf("second page = %+v", second)
	}
	if newer, _ := p.testID("history-newer").Attr("href"); newer != "/customers/"+cu.ID+"#history" {
		t.Errorf("newer link = %q", newer)
	}
	// The date filter takes whole UTC days.
	if got := historyEntries(e.b.get("/activity?from=2026-03-03")); len(got) != 0 {
		t.Errorf("entries from tomorrow = %d", len(got))
	}
	if got := historyEntries(e.b.get("/activity?from=2026-03-02&to=2026-03-02")); len(got) != 13 {
		t.Errorf("entries of today = %d, want 13", len(got))
	}
}

func TestTheNameAtSignInIsCheckedAndKept(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.newBrowser()
	p := b.get("/login")
	expect(t, p, http.StatusOK)
	if got := strings.Join(strings.Fields(p.Doc.Find(`label[for="field-staff_name"]`).Text()), " "); !strings.Contains(got, "Your name, shown in the history") {
		t.Errorf("label = %q", got)
	}
	long := strings.Repeat("n", 61)
	p = b.post("/login", url.Values{"_csrf": {csrfToken(t, p)}, "staff_name": {long}, "return_to": {"/activity"}})
	expect(t, p, http.StatusUnprocessableEntity)
	if got := custFieldError(p, "staff_name"); !strings.Contains(got, "at most 60 characters") {
		t.Errorf("message = %q", got)
	}
	if got := custInput(t, p, "staff_name"); got != long {
		t.Errorf("the name typed was not kept: %q", got)
	}
	if got, _ := custHidden(p, "return_to"); got != "/activity" {
		t.Errorf("return_to = %q, want kept", got)
	}
	p = b.post("/login", url.Values{"_csrf": {csrfToken(t, p)}, "staff_name": {"Line\nbreak"}})
	expect(t, p, http.StatusUnprocessableEntity)

	b.signInNamed(0, " Ada ")
	d, _ := h.sessionData(b.sessionCookie())
	if d.StaffName != "Ada" || d.LoginStaffName != "" {
		t.Errorf("session's name = %q (pending %q), want Ada", d.StaffName, d.LoginStaffName)
	}
}

func TestARevokedMerchantsHistoryIsDropped(t *testing.T) {
	t.Parallel()
	e := newNamedEnv(t, 0, "Grace", withWebhookKey(testWebhookKey))
	cu := e.create(square.CreateCustomerRequest{GivenName: "Gone"})
	waitDelivered(t, e.h)
	if got := historyEntries(e.b.get("/activity")); len(got) == 0 {
		t.Fatal("no history to drop")
	}
	merchant := e.h.merchant(0).ID
	body := revokedEvent(merchant)
	if status := deliver(t, e.h, body, webhook.Sign(testWebhookKey, e.h.cfg.WebhookURL(), []byte(body))); status != http.StatusOK {
		t.Fatalf("revocation delivery = %d", status)
	}
	b := e.h.newBrowser()
	b.signInNamed(0, "Grace")
	if got := historyEntries(b.get("/activity")); len(got) != 0 {
		t.Errorf("after the revocation the history has %d entries, want none (customer %s)", len(got), cu.ID)
	}
}
