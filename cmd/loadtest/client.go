package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/klauspost/compress/gzip"

	"github.com/tessera-dashboard/tessera/internal/squarelocal/consentform"
)

// clientTimeout bounds one request of the load: above the handlers' own
// 25 s deadline, so that Tessera's answer, even a late one, is what is
// measured.
const clientTimeout = 30 * time.Second

// errRefused is the dialer's answer to any address but Tessera's (and,
// with -processes, its emulator's).
var errRefused = errors.New("loadtest: refusing to connect anywhere but the loopback listeners of the Tessera it started and of its emulator")

// loopbackTransport is an HTTP/1.1 transport with keep-alive that can
// dial exactly the loopback addresses given (the listener of the Tessera
// loadtest started and, with -processes, its emulator's) and uses no
// proxy.
func loopbackTransport(addrs ...string) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			if network != "tcp" || !slices.Contains(addrs, address) || !isLoopback(address) {
				return nil, fmt.Errorf("%w (asked for %s %s)", errRefused, network, address)
			}
			return dialer.DialContext(ctx, network, address)
		},
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		// Bodies are gunzipped by request, with a faster decoder than the
		// transport's: the clients share the CPU with what they measure.
		DisableCompression: true,
	}
}

// browser is one member of staff: a cookie jar, an HTTP client with
// keep-alive, and what they have seen of their merchant's directory. It
// follows no redirect by itself, so that each hop is measured and checked.
type browser struct {
	id     int
	base   *url.URL
	origin string
	// consent is the emulator's consent page (its path, and its host:port
	// when the emulator is a process of its own: the one other place
	// sign-in requests may go).
	consentPath, consentHost string
	client                   *http.Client
	transport                *http.Transport
	rng                      *rand.Rand
	rec                      *recorder

	// stop is the end of the load phase: no request starts after it. A
	// request already sent runs on ctx, the run's hard bound, so that the
	// end of the run does not turn answers into cancellations.
	stop context.Context

	buf   bytes.Buffer
	plain bytes.Buffer  // a gunzipped body
	gz    *gzip.Reader  // reused across answers
	seen  []customerRef // ring of customers seen on directory pages
	pos   int
	next  string // the "Next page" link of the last directory page read
	n     int    // actions done, for unique notes and emails
	think time.Duration
	// mix is the actions this person draws from.
	mix []action
}

// customerRef is a customer as a row of the directory shows it.
type customerRef struct{ ID, Email string }

// maxSeen bounds the customers a browser remembers.
const maxSeen = 256

func newBrowser(id int, t *tessera, rec *recorder, seed int64) (*browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	addrs := []string{t.addr}
	if t.emuAddr != "" {
		addrs = append(addrs, t.emuAddr)
	}
	tr := loopbackTransport(addrs...)
	return &browser{
		id:          id,
		base:        t.base,
		origin:      strings.TrimSuffix(t.base.String(), "/"),
		consentPath: t.consentPath,
		consentHost: t.emuAddr,
		transport:   tr,
		client: &http.Client{
			Jar:       jar,
			Transport: tr,
			Timeout:   clientTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		rng: rand.New(rand.NewPCG(uint64(seed), uint64(id)+1)),
		rec: rec,
	}, nil
}

// close drops the browser's idle connections, as closing the browser does.
func (b *browser) close() { b.transport.CloseIdleConnections() }

// answer is one response with its body read. body is valid until the
// browser's next request.
type answer struct {
	status   int
	location string
	// raw is the body as it came, gzipped or not; page() gives it plain.
	raw     []byte
	gzipped bool
	b       *browser
}

// page is the answer's body, gunzipped when it came so. Only the answers
// the load reads are gunzipped: the time measured ends with the last byte
// received either way, and the clients share the CPU with the server.
func (a *answer) page() ([]byte, error) {
	if !a.gzipped {
		return a.raw, nil
	}
	b := a.b
	var err error
	if b.gz == nil {
		b.gz, err = gzip.NewReader(bytes.NewReader(a.raw))
	} else {
		err = b.gz.Reset(bytes.NewReader(a.raw))
	}
	if err != nil {
		return nil, fmt.Errorf("gzip answer: %w", err)
	}
	b.plain.Reset()
	if _, err := b.plain.ReadFrom(b.gz); err != nil {
		return nil, fmt.Errorf("gzip answer: %w", err)
	}
	return b.plain.Bytes(), nil
}

// errStopped means the load phase ended or its budget was spent before
// the request was sent; nothing was recorded.
var errStopped = errors.New("load finished")

// request sends one measured request and reads the whole body, as a
// browser does. form, when not nil, is sent urlencoded; hx marks an htmx
// request for target. The time measured runs from sending until the last
// byte of the body. The answer is an error when the status is not one of
// want; sign-in requests (kindSignIn) are not limited by the budget.
func (b *browser) request(ctx context.Context, k kind, method, target string, form url.Values, hx string, want ...int) (*answer, error) {
	if k != kindSignIn && (b.stop.Err() != nil || !b.rec.take()) {
		return nil, errStopped
	}
	u, err := b.base.Parse(target)
	onConsent := k == kindSignIn && b.consentHost != "" && u != nil && u.Host == b.consentHost && u.Path == b.consentPath
	if err != nil || (u.Host != b.base.Host && !onConsent) || u.Scheme != b.base.Scheme {
		// A link or redirect leading off Tessera (or, signing in, off the
		// emulator's consent page) is a finding, never a target.
		err := fmt.Errorf("%s %q: %w (not on %s)", method, target, errRefused, b.base.Host)
		b.rec.problem(k, err)
		return nil, err
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("User-Agent", "tessera-loadtest")
	req.Header.Set("Accept-Encoding", "gzip")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// A form is sent from a page of its own origin.
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	}
	if hx != "" {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", hx)
		req.Header.Set("HX-Current-URL", b.origin+"/customers")
	}

	b.buf.Reset()
	start := time.Now()
	resp, err := b.client.Do(req)
	if err == nil {
		_, err = b.buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	d := time.Since(start)
	if err != nil && ctx.Err() != nil {
		// The run was interrupted (or ran past its hard bound) with this
		// request in flight: the load abandoned it, Tessera did not fail.
		return nil, fmt.Errorf("%w: %w", errStopped, ctx.Err())
	}
	status := 0
	if resp != nil && err == nil {
		status = resp.StatusCode
	}
	outcome := b.rec.record(k, method, u.Path, d, status, err, want)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	a := &answer{status: status, location: resp.Header.Get("Location"), raw: b.buf.Bytes(),
		gzipped: resp.Header.Get("Content-Encoding") == "gzip", b: b}
	if outcome != "" {
		return a, &statusError{method: method, path: u.Path, status: status, outcome: outcome}
	}
	return a, nil
}

// peek reads a page of Tessera as the browser, outside the load's
// figures: its status and plain body.
func (b *browser) peek(ctx context.Context, target string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.origin+target, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("User-Agent", "tessera-loadtest")
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// statusError is an answer with a status the request did not want.
type statusError struct {
	method, path string
	status       int
	outcome      string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s answered %d (%s)", e.method, e.path, e.status, e.outcome)
}

func (a *answer) doc() (*goquery.Document, error) {
	body, err := a.page()
	if err != nil {
		return nil, err
	}
	return goquery.NewDocumentFromReader(bytes.NewReader(body))
}

// signIn walks the OAuth sign-in as a person does: the sign-in page and
// its button, squarelocal's consent page with the merchant picked and
// Allow pressed, the callback, and the directory it lands on.
func (b *browser) signIn(ctx context.Context, merchant int) error {
	a, err := b.request(ctx, kindSignIn, http.MethodGet, "/login", nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	doc, err := a.doc()
	if err != nil {
		return err
	}
	token, _ := doc.Find(`form[action="/login"] input[name="_csrf"]`).Attr("value")
	if token == "" {
		return errors.New("the sign-in page has no form with a CSRF token")
	}
	a, err = b.request(ctx, kindSignIn, http.MethodPost, "/login", url.Values{"_csrf": {token}, "return_to": {""}}, "", http.StatusSeeOther)
	if err != nil {
		return err
	}
	authorize, err := b.base.Parse(a.location)
	if err != nil || authorize.Path != b.consentPath || authorize.Host != cmp.Or(b.consentHost, b.base.Host) {
		return fmt.Errorf("signing in redirected to %q, want squarelocal's authorize page", a.location)
	}

	a, err = b.request(ctx, kindSignIn, http.MethodGet, authorize.String(), nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	if doc, err = a.doc(); err != nil {
		return err
	}
	target, values, err := consentform.Answer(doc, authorize, merchant, consentform.Allow)
	if err != nil {
		return err
	}

	a, err = b.request(ctx, kindSignIn, http.MethodPost, target.String(), values, "", http.StatusFound)
	if err != nil {
		return err
	}
	a, err = b.request(ctx, kindSignIn, http.MethodGet, a.location, nil, "", http.StatusSeeOther)
	if err != nil {
		return err
	}
	if a.location != "/customers" {
		return fmt.Errorf("the callback redirected to %q, want /customers", a.location)
	}
	a, err = b.request(ctx, kindSignIn, http.MethodGet, a.location, nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	b.readDirectory(a)
	if len(b.seen) == 0 {
		return errors.New("the directory after sign-in shows no customer")
	}
	return nil
}

// action is one thing a person does in the mix.
type action struct {
	kind   kind // the first request's kind, for the report of actions
	weight int
	run    func(*browser, context.Context) error
}

// mix is the load's mix of actions, by share of actions.
var mix = []action{
	{kindDirectory, 40, (*browser).directory},
	{kindSearch, 20, (*browser).search},
	{kindProfile, 25, (*browser).profile},
	{kindEditForm, 10, (*browser).edit},
	{kindNewForm, 5, (*browser).create},
}

// mixNamed is the mix of a -mix value, nil for an unknown one. The index
// mix is the default mix's actions and weights: staff do everything they
// do while the customer index, built before the load starts, serves the
// directory and the search; what differs is the targets it is checked
// against (report.check).
func mixNamed(name string) []action {
	switch name {
	case mixDefault, mixIndex:
		return mix
	}
	return nil
}

// The values of -mix.
const (
	mixDefault = "default"
	mixIndex   = "index"
)

// pick draws an action by weight. A browser's first len(mix) actions are
// one of each, in an order of its own, so that even a short run exercises
// every kind.
func (b *browser) pick() action {
	mix := b.mix
	if mix == nil {
		mix = mixNamed(mixDefault)
	}
	if b.n < len(mix) {
		return mix[(b.n+b.id)%len(mix)]
	}
	total := 0
	for _, a := range mix {
		total += a.weight
	}
	r := b.rng.IntN(total)
	for _, a := range mix {
		if r < a.weight {
			return a
		}
		r -= a.weight
	}
	return mix[0]
}

// loop does actions until the load phase ends or its budget is spent. A
// failed action is recorded and the person carries on, as people do.
func (b *browser) loop(ctx context.Context) {
	for b.stop.Err() == nil {
		if b.think > 0 {
			// People pause between actions; the pauses of many people are
			// well described as exponential. The first pause spreads the
			// sessions' starts, which the sign-in left in step. Capped.
			pause := min(time.Duration(b.rng.ExpFloat64()*float64(b.think)), 10*b.think)
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-b.stop.Done():
				t.Stop()
				return
			}
		}
		a := b.pick()
		b.n++
		b.rec.action(a.kind)
		if err := a.run(b, ctx); errors.Is(err, errStopped) || ctx.Err() != nil {
			return
		}
	}
}

// directory opens the customer list: mostly its first page, sometimes by
// date created, sometimes the next page of the last one read. It reads
// the rows now and then, as a person picks a customer to open.
func (b *browser) directory(ctx context.Context) error {
	target := "/customers"
	switch r := b.rng.Float64(); {
	case b.next != "" && r < 0.3:
		target = b.next
	case r < 0.45:
		target = "/customers?sort=created&order=desc"
	}
	a, err := b.request(ctx, kindDirectory, http.MethodGet, target, nil, "", http.StatusOK)
	if err != nil {
		b.next = ""
		return err
	}
	if len(b.seen) < 32 || b.rng.Float64() < 0.15 {
		b.readDirectory(a)
	}
	return nil
}

// readDirectory remembers the rows and the next-page link of a page.
func (b *browser) readDirectory(a *answer) {
	body, err := a.page()
	if err != nil {
		return
	}
	rows, next := scanRows(body)
	for _, r := range rows {
		b.remember(r)
	}
	b.next = next
}

func (b *browser) remember(c customerRef) {
	if len(b.seen) < maxSeen {
		b.seen = append(b.seen, c)
		return
	}
	b.seen[b.pos] = c
	b.pos = (b.pos + 1) % maxSeen
}

func (b *browser) someCustomer() customerRef {
	return b.seen[b.rng.IntN(len(b.seen))]
}

// search types part of an email address into the search box: htmx asks
// for the results fragment, fuzzy match on email. A piece of an email seen
// in the directory must find at least that customer: the answer is checked
// for a row, by a plain byte search, as the clients share the CPU with
// Tessera (a 5 KB partial gunzipped and searched: tens of microseconds).
func (b *browser) search(ctx context.Context) error {
	q, fromEmail := "gmail", false
	for range 8 {
		if t := searchToken(b.someCustomer().Email, b.rng); t != "" {
			q, fromEmail = t, true
			break
		}
	}
	target := "/customers?" + url.Values{"q": {q}, "field": {"email"}}.Encode()
	a, err := b.request(ctx, kindSearch, http.MethodGet, target, nil, "customer-results", http.StatusOK)
	if err != nil || !fromEmail {
		return err
	}
	body, err := a.page()
	if err == nil && !bytes.Contains(body, searchRow) {
		err = fmt.Errorf("the search for %q, a piece of an email in the directory, shows no customer", q)
	}
	if err != nil {
		b.rec.problem(kindSearch, err)
	}
	return err
}

// searchRow marks a row of the search results.
var searchRow = []byte(`data-testid="customer-row"`)

// searchToken is a piece of an email's local part, as someone types the
// start of a name: 3 to 6 letters or digits.
func searchToken(email string, rng *rand.Rand) string {
	local, _, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	var words []string
	for w := range strings.FieldsFuncSeq(local, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) {
		if len(w) >= 3 {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return ""
	}
	w := words[rng.IntN(len(words))]
	return w[:min(len(w), 3+rng.IntN(4))]
}

// profile opens a customer seen in the directory.
func (b *browser) profile(ctx context.Context) error {
	_, err := b.request(ctx, kindProfile, http.MethodGet, "/customers/"+url.PathEscape(b.someCustomer().ID), nil, "", http.StatusOK)
	return err
}

// edit opens a customer's edit form, changes the note and saves: the
// whole form goes back as a browser sends it, with the CSRF token, the
// version and the original values. A 409 is the conflict page, the
// expected answer when another session saved the customer first.
func (b *browser) edit(ctx context.Context) error {
	id := b.someCustomer().ID
	path := "/customers/" + url.PathEscape(id)
	a, err := b.request(ctx, kindEditForm, http.MethodGet, path+"/edit", nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	action, values, err := customerForm(a)
	if err != nil {
		b.rec.problem(kindEditForm, err)
		return err
	}
	values.Set("note", fmt.Sprintf("Load test: session %d, change %d.", b.id, b.n))
	a, err = b.request(ctx, kindEditSave, http.MethodPost, action, values, "", http.StatusSeeOther, http.StatusConflict)
	if err != nil {
		return err
	}
	if a.status == http.StatusSeeOther && a.location != path {
		err := fmt.Errorf("saving %s redirected to %q", path, a.location)
		b.rec.problem(kindEditSave, err)
		return err
	}
	return nil
}

// create opens the new-customer form, fills it in and saves it with the
// idempotency key the form carries, then remembers the new customer.
func (b *browser) create(ctx context.Context) error {
	a, err := b.request(ctx, kindNewForm, http.MethodGet, "/customers/new", nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	action, values, err := customerForm(a)
	if err == nil && values.Get("idempotency_key") == "" {
		err = errors.New("the new-customer form has no idempotency key")
	}
	if err != nil {
		b.rec.problem(kindNewForm, err)
		return err
	}
	email := fmt.Sprintf("load.s%d.n%d@example.com", b.id, b.n)
	values.Set("given_name", "Load")
	values.Set("family_name", fmt.Sprintf("Tester %d-%d", b.id, b.n))
	values.Set("email_address", email)
	values.Set("note", "Created by the load test.")
	a, err = b.request(ctx, kindCreate, http.MethodPost, action, values, "", http.StatusSeeOther)
	if err != nil {
		return err
	}
	id, ok := strings.CutPrefix(a.location, "/customers/")
	if !ok || id == "" || strings.Contains(id, "/") {
		err := fmt.Errorf("creating a customer redirected to %q", a.location)
		b.rec.problem(kindCreate, err)
		return err
	}
	b.remember(customerRef{ID: id, Email: email})
	return nil
}

// customerForm reads the customer form as a browser submits it: its
// action, and every input, select and textarea with its current value.
func customerForm(a *answer) (string, url.Values, error) {
	body, err := a.page()
	if err != nil {
		return "", nil, err
	}
	action, values, err := scanForm(body, "customer-form")
	if err != nil {
		return "", nil, err
	}
	if values.Get("_csrf") == "" || action == "" {
		return "", nil, errors.New("the customer form has no CSRF token or no action")
	}
	return action, values, nil
}
