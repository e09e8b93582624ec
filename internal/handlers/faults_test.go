package handlers_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// The fault matrix: every write (create, edit, delete, attach a card,
// remove a card) and every read (directory, search, profile) against each
// way squarelocal can misbehave. Every cell checks what the person sees
// (status and the message that says whether the change happened), that
// the form still holds what was typed, how often Tessera called the
// failing endpoint (retries only where safe), and, for writes, that the
// person's own retry ends with exactly one effect.
//
// How the faults are injected, and why:
//   - 429 with Retry-After: 1, once (Count 1). The Square client retries
//     GETs, searches, keyed creates and card disables after the second
//     Square asked for, so those succeed on the second call; PUT and
//     DELETE are never retried, so they fail at once with "not saved".
//   - 500 and 503 on every call: retried calls exhaust the client's three
//     attempts. A 500 leaves the outcome unknown ("may not have been"), a
//     503 says the write was refused ("not saved").
//   - A hang: Square never answers, so the request's deadline (shortened
//     to faultDeadline for these cells) ends it; nothing is retried
//     after the deadline.
//   - Dropped after the write: Square applies every call but no answer
//     arrives; retried calls are applied again, which keyed creates and
//     disables make harmless.
//
// Set TESSERA_RELIABILITY_OUT to a path to have the matrix written there
// as Markdown (scripts/reliability.sh writes docs/reliability.md).

// faultDeadline is the request deadline of the hang cells.
const faultDeadline = 500 * time.Millisecond

// newFaultEnv is newCustEnv with an optional request deadline.
func newFaultEnv(t *testing.T, deadline time.Duration) *custEnv {
	t.Helper()
	var opts []harnessOption
	if deadline > 0 {
		opts = append(opts, withRequestTimeout(deadline))
	}
	h := newHarness(t, opts...)
	b := h.newBrowser()
	b.signIn(0)
	d, ok := h.sessionData(b.sessionCookie())
	if !ok {
		t.Fatal("after signIn the session is signed out, want signed in")
	}
	return &custEnv{t: t, h: h, b: b, sq: h.square.WithAccessToken(d.AccessToken)}
}

// faultColumn is one way Square misbehaves.
type faultColumn struct {
	name     string
	fault    squarelocal.Fault // Endpoint is set per scenario
	deadline time.Duration
}

var faultColumns = []faultColumn{
	{"429, Retry-After: 1, once", squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1, Count: 1}, 0},
	{"500 on every call", squarelocal.Fault{Kind: squarelocal.FaultInternal}, 0},
	{"503 on every call", squarelocal.Fault{Kind: squarelocal.FaultUnavailable}, 0},
	{"hang past the deadline", squarelocal.Fault{Kind: squarelocal.FaultHang}, faultDeadline},
	{"dropped after the write", squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite}, 0},
}

// outcome is what one cell shows: the status of the person's request, the
// message they read, how many calls the failing endpoint got, and for
// writes what their own retry (faults cleared) showed and left behind.
type outcome struct {
	Status  int
	Message string
	Calls   int
	After   string
	Effect  string
	// Lost says what the page failed to keep of what was typed; "" when
	// everything was kept.
	Lost string
}

func (o outcome) String() string {
	s := fmt.Sprintf("%d · “%s” · %d call(s)", o.Status, o.Message, o.Calls)
	if o.After != "" {
		s += " · retry: “" + o.After + "”"
	}
	if o.Effect != "" {
		s += " · " + o.Effect
	}
	if o.Lost != "" {
		s += " · LOST: " + o.Lost
	}
	return s
}

// faultScenario is one thing a person does, with the outcome each fault
// should have.
type faultScenario struct {
	name     string
	endpoint string
	// run does it with the fault injected by inject, checks the form and
	// the effects, and returns what the person saw.
	run  func(t *testing.T, e *custEnv, inject func(), endpoint string) outcome
	want map[string]outcome
}

// seen is the message a page shows the person: a save failure, a card
// problem, the directory's problem, an error page's heading, or, after a
// redirect (followed here), the flash.
func (e *custEnv) seen(p *page) string {
	e.t.Helper()
	if p.StatusCode == http.StatusSeeOther {
		next := e.b.get(p.location())
		expect(e.t, next, http.StatusOK)
		return custText(next, "flash")
	}
	for _, sel := range []string{
		`[data-testid="save-failed"] strong`, `[data-testid="card-error"] strong`,
		`[data-testid="square-unavailable"] strong`, `[data-testid="error-page"] h1`,
	} {
		if s := strings.Join(strings.Fields(p.Doc.Find(sel).First().Text()), " "); s != "" {
			return s
		}
	}
	return ""
}

// matrix collects the rows of the fault matrix from parallel subtests.
type matrix struct {
	mu   sync.Mutex
	rows map[[2]string][3]string
}

func (m *matrix) record(scenario, fault string, want, got outcome, ok bool, bug string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mark := "✅"
	switch {
	case bug != "":
		mark = "⚠️ known bug: " + bug
	case !ok:
		mark = "❌"
	}
	m.rows[[2]string{scenario, fault}] = [3]string{want.String(), got.String(), mark}
}

// markdown is the matrix in the order of the scenarios and faults.
func (m *matrix) markdown(scenarios []faultScenario) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("| Scenario | Fault | Expected | Observed | |\n|---|---|---|---|---|\n")
	for _, s := range scenarios {
		for _, f := range faultColumns {
			r, ok := m.rows[[2]string{s.name, f.name}]
			if !ok {
				r = [3]string{"", "not run", "❔"}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.name, f.name, r[0], r[1], r[2])
		}
	}
	return b.String()
}

func TestEveryWriteAndReadSaysWhatHappenedWhenSquareMisbehaves(t *testing.T) {
	scenarios := faultScenarios()
	m := &matrix{rows: map[[2]string][3]string{}}
	t.Cleanup(func() {
		out := os.Getenv("TESSERA_RELIABILITY_OUT")
		if out == "" {
			return
		}
		if err := os.WriteFile(out, []byte(m.markdown(scenarios)), 0o644); err != nil {
			t.Errorf("writing the matrix to %s: %v", out, err)
		}
	})
	for _, s := range scenarios {
		for _, f := range faultColumns {
			want, ok := s.want[f.name]
			if !ok {
				t.Fatalf("scenario %q has no expectation for %q", s.name, f.name)
			}
			t.Run(s.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				e := newFaultEnv(t, f.deadline)
				fault := f.fault
				fault.Endpoint = s.endpoint
				inject := func() {
					if err := e.h.emu.InjectFault(fault); err != nil {
						t.Fatalf("InjectFault(%+v) = %v", fault, err)
					}
				}
				got := s.run(t, e, inject, s.endpoint)
				pass := got.Status == want.Status && strings.Contains(got.Message, want.Message) &&
					got.Calls == want.Calls && strings.Contains(got.After, want.After) && got.Effect == want.Effect
				bug := knownBugs[[2]string{s.name, f.name}]
				wrong := !pass || got.Lost != ""
				switch {
				case wrong && bug == "":
					if !pass {
						t.Errorf("%s with %s = %v, want %v", s.name, f.name, got, want)
					}
					if got.Lost != "" {
						t.Errorf("%s with %s lost what was typed: %s", s.name, f.name, got.Lost)
					}
				case wrong:
					t.Logf("known bug: %s with %s = %v, want %v: %s", s.name, f.name, got, want, bug)
				case bug != "":
					t.Errorf("%s with %s works now: remove it from knownBugs", s.name, f.name)
					bug = ""
				}
				m.record(s.name, f.name, want, got, !t.Failed(), bug)
			})
		}
	}
}

// knownBugs are cells where Tessera loses what was typed, with why; they
// are reported in the matrix rather than failing the test, and the test
// fails once one is fixed so that the entry goes.
var knownBugs = map[[2]string]string{}

// The messages the person reads.
const (
	msgCreated        = "Customer created."
	msgNotCreated     = "The customer was not saved."
	msgMaybeCreated   = "The customer may not have been saved."
	msgUpdated        = "Customer updated."
	msgAlreadyHeld    = "Square already holds these details"
	msgNotUpdated     = "Your changes were not saved."
	msgMaybeUpdated   = "Your changes may not have been saved."
	msgDeleted        = "Customer deleted."
	msgGone           = "The customer is no longer in your directory."
	msgNotDeleted     = "The customer was not deleted."
	msgMaybeDeleted   = "The customer may not have been deleted."
	msgCardAdded      = "Card added."
	msgCardNotSaved   = "The card was not saved."
	msgCardMaybeSaved = "The card may not have been saved."
	msgCardAlready    = "This page already added a card."
	msgCardRemoved    = "Card removed."
	msgCardNotRemoved = "The card was not removed."
	msgCardMaybeGone  = "The card may not have been removed."
	msgBusy           = "Square is busy"
	msgNotAnswering   = "Square is not answering"
	msgUnavailable    = "Square is unavailable"
	msgTooLong        = "Square is taking too long"
	msgNoCards        = "Square did not list the cards on file just now."
)

// Column names, for the expectations.
const (
	col429  = "429, Retry-After: 1, once"
	col500  = "500 on every call"
	col503  = "503 on every call"
	colHang = "hang past the deadline"
	colDrop = "dropped after the write"
)

func faultScenarios() []faultScenario {
	return []faultScenario{
		{
			name: "create customer", endpoint: callCreate, run: runCreateCustomer,
			want: map[string]outcome{
				col429:  {http.StatusSeeOther, msgCreated, 2, "", "1 customer created", ""},
				col500:  {http.StatusBadGateway, msgMaybeCreated, 3, msgCreated, "1 customer created", ""},
				col503:  {http.StatusServiceUnavailable, msgNotCreated, 3, msgCreated, "1 customer created", ""},
				colHang: {http.StatusGatewayTimeout, msgMaybeCreated, 1, msgCreated, "1 customer created", ""},
				colDrop: {http.StatusBadGateway, msgMaybeCreated, 3, msgCreated, "1 customer created", ""},
			},
		},
		{
			name: "edit customer", endpoint: callUpdate, run: runEditCustomer,
			want: map[string]outcome{
				col429:  {http.StatusServiceUnavailable, msgNotUpdated, 1, msgUpdated, "saved once (version 1)", ""},
				col500:  {http.StatusBadGateway, msgMaybeUpdated, 1, msgUpdated, "saved once (version 1)", ""},
				col503:  {http.StatusServiceUnavailable, msgNotUpdated, 1, msgUpdated, "saved once (version 1)", ""},
				colHang: {http.StatusGatewayTimeout, msgMaybeUpdated, 1, msgUpdated, "saved once (version 1)", ""},
				colDrop: {http.StatusBadGateway, msgMaybeUpdated, 1, msgAlreadyHeld, "saved once (version 1)", ""},
			},
		},
		{
			name: "delete customer", endpoint: callDelete, run: runDeleteCustomer,
			want: map[string]outcome{
				col429:  {http.StatusServiceUnavailable, msgNotDeleted, 1, msgDeleted, "customer gone", ""},
				col500:  {http.StatusBadGateway, msgMaybeDeleted, 1, msgDeleted, "customer gone", ""},
				col503:  {http.StatusServiceUnavailable, msgNotDeleted, 1, msgDeleted, "customer gone", ""},
				colHang: {http.StatusGatewayTimeout, msgMaybeDeleted, 1, msgDeleted, "customer gone", ""},
				colDrop: {http.StatusBadGateway, msgMaybeDeleted, 1, msgGone, "customer gone", ""},
			},
		},
		{
			name: "attach card", endpoint: callCreateCard, run: runAttachCard,
			want: map[string]outcome{
				col429:  {http.StatusSeeOther, msgCardAdded, 2, "", "1 card", ""},
				col500:  {http.StatusBadGateway, msgCardMaybeSaved, 3, msgCardAdded, "1 card", ""},
				col503:  {http.StatusServiceUnavailable, msgCardNotSaved, 3, msgCardAdded, "1 card", ""},
				colHang: {http.StatusGatewayTimeout, msgCardMaybeSaved, 1, msgCardAdded, "1 card", ""},
				colDrop: {http.StatusBadGateway, msgCardMaybeSaved, 3, msgCardAlready, "1 card", ""},
			},
		},
		{
			name: "remove card", endpoint: callDisableCard, run: runRemoveCard,
			want: map[string]outcome{
				col429:  {http.StatusSeeOther, msgCardRemoved, 2, "", "card disabled", ""},
				col500:  {http.StatusBadGateway, msgCardMaybeGone, 3, msgCardRemoved, "card disabled", ""},
				col503:  {http.StatusServiceUnavailable, msgCardNotRemoved, 3, msgCardRemoved, "card disabled", ""},
				colHang: {http.StatusGatewayTimeout, msgCardMaybeGone, 1, msgCardRemoved, "card disabled", ""},
				colDrop: {http.StatusBadGateway, msgCardMaybeGone, 3, msgCardRemoved, "card disabled", ""},
			},
		},
		{
			name: "directory", endpoint: "GET /v2/customers", run: runDirectory(""),
			want: readWants("50 rows"),
		},
		{
			name: "search", endpoint: "POST /v2/customers/search", run: runDirectory("grace@example.com"),
			want: readWants("1 row"),
		},
		{
			name: "profile", endpoint: callGet, run: runProfile,
			want: readWants("Grace Hopper"),
		},
		{
			// The cards are a part of the profile it can do without.
			name: "profile's card list", endpoint: callCards, run: runProfileCards,
			want: map[string]outcome{
				col429:  {http.StatusOK, "Grace Hopper, 1 card", 2, "", "", ""},
				col500:  {http.StatusOK, "Grace Hopper, " + msgNoCards, 3, "", "", ""},
				col503:  {http.StatusOK, "Grace Hopper, " + msgNoCards, 3, "", "", ""},
				colHang: {http.StatusOK, "Grace Hopper, " + msgNoCards, 1, "", "", ""},
				colDrop: {http.StatusOK, "Grace Hopper, " + msgNoCards, 3, "", "", ""},
			},
		},
	}
}

// readWants are the outcomes of a read: a 429 once is retried and the page
// shows; otherwise the client retries the read (not past the deadline)
// and the page says Square failed.
func readWants(shown string) map[string]outcome {
	return map[string]outcome{
		col429:  {http.StatusOK, shown, 2, "", "", ""},
		col500:  {http.StatusBadGateway, msgNotAnswering, 3, "", "", ""},
		col503:  {http.StatusServiceUnavailable, msgUnavailable, 3, "", "", ""},
		colHang: {http.StatusGatewayTimeout, msgTooLong, 1, "", "", ""},
		colDrop: {http.StatusBadGateway, msgNotAnswering, 3, "", "", ""},
	}
}

// expectTyped fails unless the inputs of p show the typed values.
func expectTyped(t *testing.T, p *page, typed map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(typed)) {
		if got := custInput(t, p, name); got != typed[name] {
			t.Errorf("after %d, input %s = %q, want %q as typed", p.StatusCode, name, got, typed[name])
		}
	}
}

// faultCalls counts the logged calls of a pattern. squarelocal logs a hung
// call only once it ends, when Tessera has given up on it, which races
// with Tessera's answer reaching the test; so while a hang is injected on
// the pattern it first waits (a second at most) for a hung call to be
// logged. This is the only wait in these tests, and only the hang needs it.
func (e *custEnv) faultCalls(pattern string) int {
	e.t.Helper()
	hung := slices.ContainsFunc(e.h.emu.Faults(), func(f squarelocal.Fault) bool {
		return f.Kind == squarelocal.FaultHang && f.Endpoint == pattern
	})
	for start := time.Now(); hung; time.Sleep(time.Millisecond) {
		if slices.ContainsFunc(e.h.emu.Calls(), func(c squarelocal.Call) bool {
			return c.Pattern == pattern && c.Fault == string(squarelocal.FaultHang)
		}) {
			break
		}
		if time.Since(start) > time.Second {
			e.t.Errorf("no hung call of %s logged within a second", pattern)
			break
		}
	}
	return e.calls(pattern)
}

// keysOf are the idempotency keys of the logged calls of a pattern.
func (e *custEnv) keysOf(pattern string) []string {
	var keys []string
	for _, c := range e.h.emu.Calls() {
		if c.Pattern == pattern {
			keys = append(keys, c.IdempotencyKey)
		}
	}
	return keys
}

func runCreateCustomer(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	before := e.count()
	form := e.b.get("/customers/new")
	expect(t, form, http.StatusOK)
	key := custHiddenOf(t, form, "idempotency_key")
	typed := map[string]string{"given_name": "Grace", "family_name": "Hopper", "email_address": "grace@example.com", "note": "Typed by hand"}
	inject()
	p := e.submit(form, custFormSel, typed)
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint)}
	if p.StatusCode != http.StatusSeeOther {
		expectTyped(t, p, typed)
		if got := custHiddenOf(t, p, "idempotency_key"); got != key {
			t.Errorf("idempotency key after a failure = %q, want the form's %q", got, key)
		}
		o.Message = e.seen(p)
		e.h.emu.ClearFaults()
		p = e.submit(p, custFormSel, nil)
		expect(t, p, http.StatusSeeOther)
		o.After = e.seen(p)
	} else {
		o.Message = e.seen(p)
	}
	n := e.count() - before
	o.Effect = fmt.Sprintf("%d customer created", n)
	for i, k := range e.keysOf(endpoint) {
		if k != key {
			t.Errorf("CreateCustomer call %d idempotency key = %q, want the form's %q", i, k, key)
		}
	}
	if cu := e.get(strings.TrimPrefix(p.location(), "/customers/")); cu.GivenName != "Grace" || cu.Note != "Typed by hand" {
		t.Errorf("created customer = %q / %q, want Grace / Typed by hand", cu.GivenName, cu.Note)
	}
	return o
}

func runEditCustomer(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", FamilyName: "Lovelace"})
	form := e.b.get("/customers/" + cu.ID + "/edit")
	expect(t, form, http.StatusOK)
	typed := map[string]string{"given_name": "Augusta", "note": "Typed by hand"}
	inject()
	p := e.submit(form, custFormSel, typed)
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint), Message: e.seen(p)}
	if p.StatusCode != http.StatusSeeOther {
		expectTyped(t, p, typed)
		if got := custHiddenOf(t, p, "version"); got != "0" {
			t.Errorf("version after a failure = %q, want the form's 0", got)
		}
		e.h.emu.ClearFaults()
		p = e.submit(p, custFormSel, nil)
		expect(t, p, http.StatusSeeOther)
		o.After = e.seen(p)
	}
	got := e.get(cu.ID)
	if got.GivenName != "Augusta" || got.Note != "Typed by hand" {
		t.Errorf("customer after the retry = %q / %q, want Augusta / Typed by hand", got.GivenName, got.Note)
	}
	o.Effect = fmt.Sprintf("saved once (version %d)", got.Version)
	return o
}

func runDeleteCustomer(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", FamilyName: "Lovelace"})
	confirm := e.b.get("/customers/" + cu.ID + "/delete")
	expect(t, confirm, http.StatusOK)
	inject()
	p := e.submit(confirm, deleteFormSel, nil)
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint), Message: e.seen(p)}
	if p.StatusCode != http.StatusSeeOther {
		if got := custHiddenOf(t, p, "version"); got != "0" {
			t.Errorf("version on the confirmation after a failure = %q, want the one confirmed, 0", got)
		}
		if got := custText(p, "delete-confirm"); !strings.Contains(got, "Ada Lovelace") {
			t.Errorf("confirmation after a failure = %q, want it to name Ada Lovelace", got)
		}
		e.h.emu.ClearFaults()
		p = e.submit(p, deleteFormSel, nil)
		expectRedirect(t, p, "/customers")
		o.After = e.seen(p)
	}
	if _, err := e.sq.Customers.Get(t.Context(), cu.ID); square.IsNotFound(err) {
		o.Effect = "customer gone"
	} else {
		o.Effect = fmt.Sprintf("customer still there (%v)", err)
	}
	return o
}

func runAttachCard(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper"})
	form := e.cardPage(cu.ID)
	key := cardKey(t, form)
	inject()
	p := e.submitCard(form, e.visa("SW1A 1AA"), "Kept Typed", "SW1A 1AA")
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint), Message: e.seen(p)}
	if p.StatusCode != http.StatusSeeOther {
		if got := custInput(t, p, "cardholder_name"); got != "Kept Typed" {
			t.Errorf("cardholder after a failure = %q, want Kept Typed as typed", got)
		}
		if got, _ := p.Doc.Find(cardFormSel).Attr("data-postal-code"); got != "SW1A 1AA" {
			t.Errorf("postal code after a failure = %q, want SW1A 1AA as typed", got)
		}
		if got := cardKey(t, p); got != key {
			t.Errorf("idempotency key after a failure = %q, want the page's %q", got, key)
		}
		e.h.emu.ClearFaults()
		// The card form makes a new token for every press.
		p = e.submitCard(p, e.visa("SW1A 1AA"), "Kept Typed", "SW1A 1AA")
		o.After = e.seen(p)
	}
	for i, k := range e.keysOf(endpoint) {
		if k != key {
			t.Errorf("CreateCard call %d idempotency key = %q, want the page's %q", i, k, key)
		}
	}
	o.Effect = fmt.Sprintf("%d card", len(e.cardsOf(cu.ID)))
	return o
}

func runRemoveCard(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper"})
	card := e.addCard(cu.ID, e.visa("94103"), "Grace Hopper")
	confirm := e.b.get("/customers/" + cu.ID + "/cards/" + card.ID + "/remove")
	expect(t, confirm, http.StatusOK)
	inject()
	p := e.submit(confirm, `[data-testid="remove-card-form"]`, nil)
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint), Message: e.seen(p)}
	if p.StatusCode != http.StatusSeeOther {
		if p.testID("remove-card-form").Length() != 1 {
			t.Errorf("after a failure the page has no remove-card-form, want the confirmation again")
		}
		e.h.emu.ClearFaults()
		p = e.submit(p, `[data-testid="remove-card-form"]`, nil)
		expectRedirect(t, p, "/customers/"+cu.ID)
		o.After = e.seen(p)
	}
	cards := e.cardsOf(cu.ID)
	switch {
	case len(cards) != 1:
		o.Effect = fmt.Sprintf("%d cards", len(cards))
	case cards[0].Enabled:
		o.Effect = "card still enabled"
	default:
		o.Effect = "card disabled"
	}
	return o
}

// runDirectory reads the directory, searching for query when not empty.
func runDirectory(query string) func(*testing.T, *custEnv, func(), string) outcome {
	return func(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
		if query != "" {
			e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper", EmailAddress: query})
		}
		target := "/customers"
		if query != "" {
			target += "?q=" + url.QueryEscape(query)
		}
		calls := e.calls(endpoint)
		inject()
		p := e.b.get(target)
		o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint) - calls, Message: e.seen(p)}
		if p.StatusCode == http.StatusOK {
			n := p.testID("customer-row").Length()
			o.Message = fmt.Sprintf("%d row%s", n, map[bool]string{true: "", false: "s"}[n == 1])
		}
		if query != "" {
			if got, _ := p.testID("search-input").Attr("value"); got != query {
				o.Lost = fmt.Sprintf("search input %q, want %q as typed", got, query)
			}
		}
		return o
	}
}

func runProfile(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper"})
	inject()
	p := e.b.get("/customers/" + cu.ID)
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint), Message: e.seen(p)}
	if p.StatusCode == http.StatusOK {
		o.Message = custText(p, "customer-name")
	} else if href, _ := p.testID("error-retry").Attr("href"); href != "" && href != "/customers/"+cu.ID {
		t.Errorf("retry link = %q, want the profile", href)
	}
	return o
}

func runProfileCards(t *testing.T, e *custEnv, inject func(), endpoint string) outcome {
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper"})
	e.addCard(cu.ID, e.visa("94103"), "Grace Hopper")
	inject()
	p := e.b.get("/customers/" + cu.ID)
	o := outcome{Status: p.StatusCode, Calls: e.faultCalls(endpoint), Message: e.seen(p)}
	if p.StatusCode == http.StatusOK {
		cards := custText(p, "cards-error")
		if cards == "" {
			cards = fmt.Sprintf("%d card", p.Doc.Find("[data-card-id]").Length())
		}
		o.Message = custText(p, "customer-name") + ", " + cards
	}
	return o
}
