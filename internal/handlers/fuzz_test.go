package handlers

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/views"
)

// Fuzz targets for what the handlers parse from people: the directory's
// query string and the customer form. scripts/fuzz.sh runs each for a few
// seconds in `make test`; the seeds run with every `go test`.

// FuzzParseDirectoryQuery feeds arbitrary query strings to the directory.
// Whatever the input, the page size is one we offer. A query without
// problems stays within the bounds, makes a local address, and survives the
// round trip through the links the directory makes: parsing q.url() again
// gives the same view and the same request to Square.
func FuzzParseDirectoryQuery(f *testing.F) {
	for _, seed := range []string{
		"",
		"q=ada",
		"q=ada%40example.com&field=email&match=exact",
		"q=%2B1+206+555+0100&field=phone&match=exact",
		"q=NYC+M&field=reference&sort=created&order=desc&size=100",
		"from=2026-03-01&to=2026-03-31&source=THIRD_PARTY&group=GROUP1",
		"size=25&cursor=abc123",
		"size=050",
		"size=%2B25",
		"q=+++ada+++",
		"q=%FF%FE",
		"q=caf%E9",
		"q=%zz&sort=created",
		"q=a;b",
		"q=a&q=b",
		"sort=name&sort=created",
		"q=" + strings.Repeat("a", 300),
		"q=" + strings.Repeat("é", 254),
		"q=" + strings.Repeat("%F0%9F%98%80", 254) + "&group=" + strings.Repeat("%E2%80%AE", 85),
		"cursor=" + strings.Repeat("x", 3000),
		"q=fern&sort=company&order=desc&offset=50",
		"q=%22+NEAR(+*&sort=updated&offset=-1",
		"offset=1e3",
		"group=" + strings.Repeat("g", 256),
		"from=2026-02-30",
		"from=2026-03-02&to=2026-03-01",
		"q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		"q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
		"q=%E2%80%AEevil",
		"q=%00",
		"field=email",
		"q=@@",
		strings.Repeat("q=&", 3000),
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, raw string, indexed bool) {
		q, problems := parseDirectoryQuery(raw, indexed)
		if !validPageSize(q.size) {
			t.Fatalf("parseDirectoryQuery(%q).size = %d, want one of %v", raw, q.size, pageSizes)
		}
		if len(problems) > 0 {
			for _, p := range problems {
				if p.Message == "" {
					t.Errorf("parseDirectoryQuery(%q) has a problem without a message: %+v", raw, p)
				}
			}
			return
		}
		if n := utf8.RuneCountInString(q.Query); n > maxSearchLen {
			t.Errorf("parseDirectoryQuery(%q): search of %d characters, want at most %d", raw, n, maxSearchLen)
		}
		if len(q.Group) > maxGroupLen || len(q.Cursor) > maxCursorLen {
			t.Errorf("parseDirectoryQuery(%q): group of %d bytes, cursor of %d, want at most %d and %d", raw, len(q.Group), len(q.Cursor), maxGroupLen, maxCursorLen)
		}
		for _, s := range []string{q.Query, q.Field, q.Match, q.From, q.To, q.Source, q.Group, q.Sort, q.Order, q.Size, q.Cursor} {
			if !utf8.ValidString(s) {
				t.Errorf("parseDirectoryQuery(%q) kept invalid UTF-8 %q, want it replaced", raw, s)
			}
		}

		link := q.url("")
		if !strings.HasPrefix(link, "/customers") || !session.IsLocalPath(link) {
			t.Fatalf("parseDirectoryQuery(%q).url() = %q, want a local path under /customers", raw, link)
		}
		_, again, _ := strings.Cut(link, "?")
		q2, problems2 := parseDirectoryQuery(again, indexed)
		if len(problems2) > 0 {
			t.Fatalf("parseDirectoryQuery(%q) = %v, want no problems for the directory's own link of %q", again, problems2, raw)
		}
		if got, want := q2.values(), q.values(); !reflect.DeepEqual(got, want) {
			t.Errorf("parseDirectoryQuery(%q).values() = %v, want %v (round trip of %q)", again, got, want, raw)
		}
		// The same view asks Square or the index the same question; the
		// link carries no cursor or offset, so compare without them.
		noCursor := q
		noCursor.Cursor, noCursor.Offset, noCursor.offset = "", "", 0
		if indexed {
			// The index searches every field at once: Look in and Match
			// are not part of its view.
			if got, want := q2.indexQuery(), noCursor.indexQuery(); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip of %q: indexQuery() = %+v, want %+v", raw, got, want)
			}
			return
		}
		if got, want := q2.searchRequest(), noCursor.searchRequest(); !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %q: searchRequest() = %+v, want %+v", raw, got, want)
		}
		if got, want := q2.listParams(), noCursor.listParams(); !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %q: listParams() = %+v, want %+v", raw, got, want)
		}
	})
}

// formFuzzer holds what FuzzCustomerForm shares between inputs: an Echo
// to bind requests with, and a squarelocal merchant in the EU (so the VAT
// number counts) behind the real Square client.
type formFuzzer struct {
	echo   *echo.Echo
	client *square.Client
	now    time.Time
	// emptyControls are the controls of the empty form, without and with
	// the VAT number.
	emptyControls map[bool]map[string]int
}

func newFormFuzzer(f *testing.F) *formFuzzer {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	emu := squarelocal.New(squarelocal.Options{CustomersPerMerchant: -1, Now: func() time.Time { return now }})
	f.Cleanup(emu.Close)
	var merchant string
	for _, m := range emu.Merchants() {
		if customers.EUVATCountry(m.Country) {
			merchant = m.ID
		}
	}
	if merchant == "" {
		f.Fatal("squarelocal has no merchant in the EU or the UK")
	}
	client, err := square.NewClient(square.Options{
		BaseURL:     "http://squarelocal.invalid",
		Transport:   emu.Transport(),
		AccessToken: emu.MintAccessToken(merchant),
		// A refusal must show at once; retries only slow the fuzzer.
		Retry: square.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		f.Fatalf("square.NewClient: %v", err)
	}
	fz := &formFuzzer{echo: echo.New(), client: client, now: now, emptyControls: map[bool]map[string]int{}}
	for _, vat := range []bool{false, true} {
		var buf bytes.Buffer
		v := newCustomerForm(customers.Fields(vat), customers.Values{}).view
		v.Sections = formSections(customers.Fields(vat), customers.Values{}, nil)
		if err := views.CustomerEditor(v).Render(f.Context(), &buf); err != nil {
			f.Fatalf("rendering the empty form: %v", err)
		}
		doc, err := goquery.NewDocumentFromReader(&buf)
		if err != nil {
			f.Fatalf("parsing the empty form: %v", err)
		}
		fz.emptyControls[vat] = countControls(doc)
	}
	return fz
}

// fuzzedInputs are the inputs FuzzCustomerForm fills, in the order of its
// arguments.
var fuzzedInputs = []string{
	customers.GivenName, customers.FamilyName, customers.CompanyName,
	customers.EmailAddress, customers.PhoneNumber, customers.AddressLine1,
	customers.PostalCode, customers.Country, customers.BirthdayMonth,
	customers.BirthdayDay, customers.BirthdayYear, customers.ReferenceID,
	customers.Note, customers.EUVat,
}

// FuzzCustomerForm posts arbitrary values in the create form's inputs
// through the form binding (postedForm, customers.ReadForm), the
// checks (Form.Validate) and, when they pass, Square's CreateCustomer at
// squarelocal. The outcome is always one the handler answers with 303 or
// 422: saved, or messages beside the fields (or at the top for Square's
// refusals of no one field), never a failure. The form rendered again
// holds every value as typed, escaped: the same inputs and no others, no
// script, no event handler attribute.
func FuzzCustomerForm(f *testing.F) {
	fz := newFormFuzzer(f)
	type seed struct {
		given, family, company, email, phone, line1, postal, country, month, day, year, ref, note, vat string
		showVAT                                                                                        bool
	}
	add := func(s seed) {
		f.Add(s.given, s.family, s.company, s.email, s.phone, s.line1, s.postal, s.country, s.month, s.day, s.year, s.ref, s.note, s.vat, s.showVAT)
	}
	add(seed{given: "Ada", family: "Lovelace", email: "ada@example.com", phone: "+1 206 555 0100", country: "GB", month: "12", day: "10", year: "1815", note: "First programmer", vat: "GB123456789", showVAT: true})
	add(seed{})
	add(seed{given: "   ", note: "only a note"})
	add(seed{company: "Cafe", month: "02", day: "29"})
	add(seed{company: "Cafe", month: "02", day: "30", year: "2001"})
	add(seed{company: "Cafe", month: "13", day: "0", year: "99"})
	add(seed{company: "Cafe", month: "1", day: "07", year: "2099"})
	add(seed{given: "<script>alert(1)</script>", family: `"><img src=x onerror=alert(1)>`, company: "javascript:alert(1)",
		email: `"><svg/onload=alert(1)>@x.co`, line1: "</textarea><script>alert(1)</script>", postal: "{{7*7}}",
		ref: "${7*7}", note: "</textarea><script>alert(1)</script>\n<iframe src=javascript:alert(1)>"})
	add(seed{given: "\u202eevil\u202c", family: "\u2066x\u2069", note: "a\r\nb\rc\x00d", email: "a@b.c\x00"})
	add(seed{given: "\xff\xfe", family: "caf\xe9", note: "\xc3\x28", country: "\xff"})
	add(seed{given: strings.Repeat("n", 301), email: strings.Repeat("e", 250) + "@x.co", ref: strings.Repeat("r", 101), line1: strings.Repeat("l", 501)})
	add(seed{given: "x", country: "zz"})
	add(seed{given: "x", country: "XX"})
	add(seed{given: "x", country: `"><script>`})
	add(seed{given: "x", vat: "DE 123 456 789", showVAT: true})
	add(seed{given: "x", vat: "DE-123", showVAT: true})
	add(seed{given: "x", phone: "206-555-0100 ext 5"})
	add(seed{given: "x", phone: "(((+1)))2065550100"})
	add(seed{email: "a@b@c.d"})
	f.Fuzz(func(t *testing.T, given, family, company, email, phone, line1, postal, country, month, day, year, ref, note, vat string, showVAT bool) {
		typed := []string{given, family, company, email, phone, line1, postal, country, month, day, year, ref, note, vat}
		form := url.Values{"_csrf": {"token"}, "idempotency_key": {newIdempotencyKey()}}
		for i, in := range fuzzedInputs {
			if in == customers.EUVat && !showVAT {
				continue
			}
			form.Set(in, typed[i])
		}

		// Bind as the handler does, from the urlencoded body.
		req := httptest.NewRequest(http.MethodPost, "/customers", strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		if err := req.ParseForm(); err != nil {
			t.Fatalf("ParseForm(%q) = %v, want the form a browser sent read", form.Encode(), err)
		}
		posted := postedForm(fz.echo.NewContext(req, httptest.NewRecorder()))
		cf := customers.ReadForm(posted, customers.Fields(posted.Has(customers.EUVat)), false)
		if got, want := customers.InputNames(cf.Fields), customers.InputNames(customers.Fields(showVAT)); !slices.Equal(got, want) {
			t.Fatalf("ReadForm: inputs %v, want %v", got, want)
		}
		errs := cf.Validate(fz.now)
		var general []string
		if len(errs) == 0 {
			// The handler would call Square now: it saves (303) or refuses
			// (422, with messages mapped onto the form).
			cu, err := fz.client.Customers.Create(t.Context(), cf.CreateRequest(form.Get("idempotency_key")))
			switch {
			case err == nil:
				if derr := fz.client.Customers.Delete(t.Context(), cu.ID, nil); derr != nil {
					t.Fatalf("Customers.Delete(%s) = %v", cu.ID, derr)
				}
				return
			case square.IsInvalidRequest(err) && !square.IsIdempotencyKeyReused(err):
				errs, general = customers.SquareProblems(err, cf.Fields)
				if len(errs) == 0 && len(general) == 0 {
					t.Fatalf("SquareProblems(%v) = no messages, want a 422 that says what is wrong", err)
				}
			default:
				t.Fatalf("Customers.Create after validate passed = %v, want success or a 400 the form can show (a 5xx page otherwise)", err)
			}
		}

		// The 422: the form again with its messages.
		v := newCustomerForm(cf.Fields, cf.Values).view
		v.Sections = formSections(cf.Fields, cf.Values, errs)
		v.Summary = formSummary(cf.Fields, errs, general)
		v.CSRFToken = "token"
		doc := renderForFuzz(t, views.CustomerEditor(v))
		checkNoActiveContent(t, doc)
		if got := doc.Find(`[data-testid="error-summary"] li`).Length(); got != len(errs)+len(general) {
			t.Errorf("error summary has %d entries, want %d (%v, %v)", got, len(errs)+len(general), errs, general)
		}
		for in, msg := range errs {
			if got := strings.TrimSpace(strings.TrimPrefix(doc.Find("#field-"+in+"-error").Text(), "Error: ")); got != msg {
				t.Errorf("message beside %s = %q, want %q", in, got, msg)
			}
		}
		// Nothing typed was lost, and the typed text made no markup: the
		// form has exactly the controls of an empty one.
		want := fz.emptyControls[showVAT]
		if got := countControls(doc); !maps.Equal(got, want) {
			t.Errorf("rendered form has controls %v, want %v as in an empty form", got, want)
		}
		for _, in := range customers.InputNames(cf.Fields) {
			typedValue := cf.Values[in]
			shown, ok := shownValue(doc, in)
			switch {
			case in == customers.BirthdayMonth && !slices.Contains(monthValues, typedValue):
				// A select cannot show a month it does not offer; only a
				// hand-made request sends one. It gets a message, unless it
				// is a month validate reads ("1" for "01") and another part
				// of the birthday kept it from being written canonically:
				// then the form shows "Not given" (reported to the lead).
				if m, err := strconv.Atoi(typedValue); errs[in] == "" && (err != nil || m < 1 || m > 12) {
					t.Errorf("month %q is not offered and has no message", typedValue)
				}
			case !ok:
				t.Errorf("form has no control %s", in)
			case shown != htmlParsed(typedValue):
				t.Errorf("control %s shows %q, want what was typed, %q", in, shown, typedValue)
			}
		}
	})
}

// monthValues are the values of the birthday's month select.
var monthValues = []string{"", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}

// renderForFuzz renders a component and parses it as a browser would.
func renderForFuzz(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(t.Context(), &buf); err != nil {
		t.Fatalf("Render = %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parsing the rendered form: %v", err)
	}
	return doc
}

// checkNoActiveContent fails the test if a document has anything that can
// run script: a script, an object or a frame, an event handler attribute,
// or a javascript: URL.
func checkNoActiveContent(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if n := doc.Find("script, iframe, frame, object, embed, img, svg, math, base, meta, link, style").Length(); n > 0 {
		h, _ := doc.Html()
		t.Errorf("rendered form has %d active or injected elements\n%s", n, h)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has an event handler attribute %s=%q", goquery.NodeName(s), a.Key, a.Val)
			}
			switch strings.ToLower(a.Key) {
			case "href", "src", "action", "formaction", "hx-get", "hx-post":
				if isScriptURL(a.Val) {
					t.Errorf("<%s %s=%q> is a script URL", goquery.NodeName(s), a.Key, a.Val)
				}
				if !strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "#") {
					t.Errorf("<%s %s=%q> leads off this site's paths", goquery.NodeName(s), a.Key, a.Val)
				}
			}
		}
	})
}

// isScriptURL reports a URL a browser would run as script: after dropping
// what browsers drop (tabs, newlines, leading spaces and controls), it
// starts with javascript: or vbscript:, in any case.
func isScriptURL(u string) bool {
	u = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	u = strings.ToLower(strings.TrimLeftFunc(u, func(r rune) bool { return r <= ' ' }))
	return strings.HasPrefix(u, "javascript:") || strings.HasPrefix(u, "vbscript:")
}

// countControls counts a form's controls by kind and name.
func countControls(doc *goquery.Document) map[string]int {
	out := map[string]int{}
	doc.Find("form, input, select, textarea, button").Each(func(_ int, s *goquery.Selection) {
		out[goquery.NodeName(s)+" "+s.AttrOr("name", "")]++
	})
	return out
}

// shownValue is what the control named name shows: an input's value, a
// textarea's text, a select's selected option (its first when none is).
func shownValue(doc *goquery.Document, name string) (string, bool) {
	s := doc.Find(`[name="` + name + `"]`).Not(`[type="hidden"]`)
	if s.Length() != 1 {
		return "", false
	}
	switch goquery.NodeName(s) {
	case "textarea":
		return s.Text(), true
	case "select":
		opt := s.Find("option[selected]")
		if opt.Length() == 0 {
			opt = s.Find("option").First()
		}
		return opt.AttrOr("value", ""), true
	}
	return s.AttrOr("value", ""), true
}

// htmlParsed is a value as an HTML parser reads it back after escaping:
// a NUL becomes U+FFFD, as the HTML standard says.
func htmlParsed(v string) string {
	return strings.ReplaceAll(v, "\x00", "\uFFFD")
}
