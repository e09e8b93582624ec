package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// Hostile input: what an attacker, or a broken client, sends. Stored
// script in every customer field, bodies over the limit, invalid UTF-8,
// huge and repeated query parameters, spoofed proxy headers, open-redirect
// payloads, stale and forged cookies, and another merchant's ids. Each
// must end in a clear page and change nothing it should not; none may be
// a 500.

// xssPayloads are stored in customer fields. None may run, or turn into
// markup, on any page; each must show as the text it is.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`</textarea><script>alert(1)</script>`,
	`{{7*7}} ${7*7} <%= 7*7 %>`,
	"\u202Egnp.exe\u202C \u2066x\u2069 \u200F",
	`'><svg onload=alert(1)>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
}

// xssEmails are payloads Square accepts as email addresses: one @, a dot
// in the domain, no spaces.
var xssEmails = []string{
	`"><svg/onload=alert(1)>@x.co`,
	`javascript:alert(1)@x.co`,
	`<script>alert(1)</script>@x.co`,
}

// xssCustomer is a create request with the payload in every field that
// takes free text.
func xssCustomer(i int) square.CreateCustomerRequest {
	p := xssPayloads[i%len(xssPayloads)]
	return square.CreateCustomerRequest{
		GivenName: p, FamilyName: p, Nickname: p, CompanyName: p,
		EmailAddress: xssEmails[i%len(xssEmails)], PhoneNumber: "+1 206 555 0100",
		ReferenceID: p, Note: p + "\n" + p,
		Address: &square.Address{
			AddressLine1: p, AddressLine2: p, Locality: p,
			AdministrativeDistrictLevel1: p, PostalCode: p, Country: "GB",
		},
	}
}

// runsScript reports a URL a browser would run as script: after dropping
// what browsers drop (tabs, newlines, leading spaces and controls), it
// starts with javascript: or vbscript:, or is an HTML data: URL.
func runsScript(u string) bool {
	u = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(u)
	u = strings.ToLower(strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
	return strings.HasPrefix(u, "javascript:") || strings.HasPrefix(u, "vbscript:") || strings.HasPrefix(u, "data:text/html")
}

// urlAttributes are the attributes whose value a browser loads or follows.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "poster": true, "srcdoc": true,
	"hx-get": true, "hx-post": true, "hx-put": true, "hx-delete": true, "hx-patch": true, "hx-push-url": true,
}

// expectInert fails unless nothing on the page can run script: every
// script element is one of ours, with a src and the CSP's nonce; nothing
// that loads or embeds content; no event handler attribute; no URL that
// runs script. htmx fragments carry no script at all.
func expectInert(t *testing.T, p *page) {
	t.Helper()
	where := p.Request.Method + " " + clip(p.Request.URL.RequestURI())
	m := nonceInCSP.FindStringSubmatch(p.Header.Get("Content-Security-Policy"))
	if m == nil {
		t.Fatalf("%s: Content-Security-Policy = %q, want a script nonce", where, p.Header.Get("Content-Security-Policy"))
	}
	p.Doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		nonce, _ := s.Attr("nonce")
		src, _ := s.Attr("src")
		if nonce != m[1] || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("%s: <script src=%q nonce=%q>%s</script>, want only our files with the CSP's nonce %q", where, src, nonce, clip(s.Text()), m[1])
		}
	})
	if n := p.Doc.Find("img, svg, math, iframe, frame, frameset, object, embed, applet, base, style, video, audio, source, meta[http-equiv], body link, body meta").Length(); n > 0 {
		t.Errorf("%s: %d elements that load, embed or redirect, want none\n%s", where, n, truncate(p.Body))
	}
	p.Doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") {
				t.Errorf("%s: <%s %s=%q>, want no event handler attributes", where, goquery.NodeName(s), a.Key, a.Val)
			}
			if urlAttributes[key] && runsScript(a.Val) {
				t.Errorf("%s: <%s %s=%q>, want no script URL", where, goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	for _, h := range []string{"Location", "HX-Redirect", "HX-Location", "HX-Push-Url", "HX-Replace-Url"} {
		if v := p.Header.Get(h); v != "" && v != "false" && !strings.HasPrefix(v, "/") {
			t.Errorf("%s: %s = %q, want a path on this site", where, h, v)
		}
	}
}

// expectLiteral fails unless each text shows on the page as it is: in the
// page's text, or as the value of a control.
func expectLiteral(t *testing.T, p *page, texts ...string) {
	t.Helper()
	var shown strings.Builder
	shown.WriteString(p.Doc.Text())
	p.Doc.Find("input[value]").Each(func(_ int, s *goquery.Selection) {
		shown.WriteString("\x00" + s.AttrOr("value", ""))
	})
	all := shown.String()
	for _, text := range texts {
		if !strings.Contains(all, text) {
			t.Errorf("%s %s does not show %q as text", p.Request.Method, clip(p.Request.URL.RequestURI()), text)
		}
	}
}

func TestScriptInEveryCustomerFieldShowsAsTextOnEveryPage(t *testing.T) {
	// The second merchant has few customers: all of them fit on the
	// directory's first page.
	e := newCustEnv(t, 1)
	var ids []string
	for i := range xssPayloads {
		ids = append(ids, e.create(xssCustomer(i)).ID)
	}

	p := e.b.get("/customers")
	expect(t, p, http.StatusOK)
	expectInert(t, p)
	expectLiteral(t, p, xssPayloads...)
	expectLiteral(t, p, xssEmails...)

	for i, id := range ids {
		payload := xssPayloads[i]
		cu := xssCustomer(i)
		t.Run(fmt.Sprintf("payload %d", i), func(t *testing.T) {
			// A search for the payload echoes it in the search box and the
			// chips, whether or not it is a search Square can make.
			for _, q := range []string{"q=" + url.QueryEscape(payload), "q=" + url.QueryEscape(payload) + "&field=reference&match=exact"} {
				p := e.b.get("/customers?" + q)
				if p.StatusCode != http.StatusOK && p.StatusCode != http.StatusBadRequest {
					t.Errorf("GET /customers?%s = %d, want 200 or 400", q, p.StatusCode)
				}
				expectInert(t, p)
				expectLiteral(t, p, payload)
				r := dirHTMX(e.b, "/customers?"+q, "customer-results")
				expectInert(t, r)
			}

			p := e.b.get("/customers/" + id)
			expect(t, p, http.StatusOK)
			expectInert(t, p)
			expectLiteral(t, p, payload, cu.EmailAddress)

			form := e.b.get("/customers/" + id + "/edit")
			expect(t, form, http.StatusOK)
			expectInert(t, form)
			expectLiteral(t, form, payload, cu.EmailAddress, cu.Note)

			confirm := e.b.get("/customers/" + id + "/delete")
			expect(t, confirm, http.StatusOK)
			expectInert(t, confirm)
			expectLiteral(t, confirm, payload)

			// The conflict pages show Square's value and mine, both hostile.
			theirs := xssPayloads[(i+1)%len(xssPayloads)]
			e.update(id, square.UpdateCustomerRequest{GivenName: square.Set(theirs), Note: square.Set(theirs)})
			p = e.submit(confirm, deleteFormSel, nil)
			expect(t, p, http.StatusConflict)
			expectInert(t, p)
			expectLiteral(t, p, theirs, payload)
			mine := xssPayloads[(i+2)%len(xssPayloads)]
			p = e.submit(form, custFormSel, map[string]string{"given_name": mine, "note": mine + "\n" + mine})
			expect(t, p, http.StatusConflict)
			expectInert(t, p)
			expectLiteral(t, p, theirs, mine)
			p = e.submit(form, custFormSel, map[string]string{"given_name": mine + "!"}, custHX...)
			expect(t, p, http.StatusConflict)
			expectInert(t, p)
			expectLiteral(t, p, theirs, mine+"!")
		})
	}

	// Typed into the create form: a problem brings it back as typed, with
	// and without htmx, and saving shows the profile.
	for i, payload := range xssPayloads {
		set := map[string]string{
			"given_name": payload, "family_name": payload, "nickname": payload, "company_name": payload,
			"email_address": payload, "address_line_1": payload, "address_line_2": payload, "locality": payload,
			"administrative_district_level_1": payload, "postal_code": payload, "reference_id": payload,
			"note": payload, "eu_vat": payload,
		}
		for _, hx := range [][]string{nil, custHX} {
			p := e.submit(e.b.get("/customers/new"), custFormSel, set, hx...)
			expect(t, p, http.StatusUnprocessableEntity)
			expectInert(t, p)
			expectLiteral(t, p, payload)
		}
		set["email_address"], set["eu_vat"] = xssEmails[i%len(xssEmails)], ""
		p := e.submit(e.b.get("/customers/new"), custFormSel, set)
		expect(t, p, http.StatusSeeOther)
		p = e.b.get(p.location())
		expect(t, p, http.StatusOK)
		expectInert(t, p)
		expectLiteral(t, p, payload, set["email_address"])
	}
}

// chunked hides a body's length from the client, so it is sent chunked,
// without a Content-Length.
type chunked struct{ io.Reader }

func TestABodyOverTheLimitIsRefusedWithAClearPageAndChangesNothing(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Kept"})
	form := e.b.get("/customers/new")
	_, createValues := custFormValues(t, form, custFormSel)
	_, editValues := custFormValues(t, e.b.get("/customers/"+cu.ID+"/edit"), custFormSel)
	token := createValues.Get("_csrf")
	huge := strings.Repeat("a", 300<<10)
	with := func(v url.Values, name, value string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = append([]string(nil), vs...)
		}
		out.Set(name, value)
		return out
	}
	writes := func() int { return e.calls(callCreate) + e.calls(callUpdate) + e.calls(callDelete) + e.h.revokeCalls() }

	tests := []struct {
		name, path string
		form       url.Values
		hx         bool
	}{
		{"a create form", "/customers", with(createValues, "note", huge), false},
		{"a create form sent by htmx", "/customers", with(createValues, "note", huge), true},
		{"an edit form", "/customers/" + cu.ID, with(editValues, "given_name", huge), false},
		{"a delete", "/customers/" + cu.ID + "/delete", url.Values{"_csrf": {token}, "version": {"0"}, "padding": {huge}}, false},
		{"a sign-out", "/logout", url.Values{"_csrf": {token}, "padding": {huge}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := writes()
			var hx []string
			if tt.hx {
				hx = custHX
			}
			p := e.b.post(tt.path, tt.form, hx...)
			expect(t, p, http.StatusRequestEntityTooLarge)
			if tt.hx {
				if p.testID("alert").Length() != 1 {
					t.Errorf("htmx POST %s over the limit: want an alert fragment\n%s", tt.path, truncate(p.Body))
				}
			} else {
				expectErrorPage(t, p, http.StatusRequestEntityTooLarge)
			}
			if n := writes() - before; n != 0 {
				t.Errorf("POST %s over the limit: %d writes at Square, want none", tt.path, n)
			}

			// Sent chunked, the size shows only while the form is read.
			// The CSRF check reads it first, finds no token, and refuses
			// with 403; either way nothing happens.
			req, err := http.NewRequest(http.MethodPost, e.h.url(tt.path), chunked{strings.NewReader(tt.form.Encode())})
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := e.b.client.Do(req)
			if err != nil {
				t.Fatalf("chunked POST %s: %v", tt.path, err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked POST %s over the limit = %d, want 413", tt.path, resp.StatusCode)
			}
			if n := writes() - before; n != 0 {
				t.Errorf("chunked POST %s over the limit: %d writes at Square, want none", tt.path, n)
			}
		})
	}
	if !e.b.signedIn() {
		t.Error("after the refused sign-out: signed out, want still signed in")
	}
	if got := e.get(cu.ID); got.GivenName != "Kept" || got.Version != 0 {
		t.Errorf("customer after the refused writes = %q at version %d, want Kept at 0", got.GivenName, got.Version)
	}

	// A sign-in that has not started yet is refused the same way.
	b := e.h.newBrowser()
	login := b.get("/login")
	p := b.post("/login", url.Values{"_csrf": {csrfToken(t, login)}, "return_to": {"/" + huge}})
	expectErrorPage(t, p, http.StatusRequestEntityTooLarge)
}

func TestInvalidUTF8IsReadAsReplacementCharactersNeverA500(t *testing.T) {
	e := newCustEnv(t, 0)

	t.Run("in the create form", func(t *testing.T) {
		p := e.submit(e.b.get("/customers/new"), custFormSel, map[string]string{
			"given_name": "\xff\xfeAda", "family_name": "caf\xe9", "note": "\xc3\x28 \xed\xa0\x80", "reference_id": "\x80",
		})
		expect(t, p, http.StatusSeeOther)
		id := strings.TrimPrefix(p.location(), "/customers/")
		cu := e.get(id)
		for name, v := range map[string]string{"given_name": cu.GivenName, "family_name": cu.FamilyName, "note": cu.Note, "reference_id": cu.ReferenceID} {
			if !utf8.ValidString(v) || !strings.Contains(v, "\uFFFD") {
				t.Errorf("stored %s = %q, want valid UTF-8 with U+FFFD for the bad bytes", name, v)
			}
		}
		p = e.b.get("/customers/" + id)
		expect(t, p, http.StatusOK)
		expectLiteral(t, p, cu.GivenName, cu.FamilyName)

		// The same bytes raw in the body, not percent-encoded, and in the
		// edit form's originals.
		form := e.b.get("/customers/" + id + "/edit")
		_, values := custFormValues(t, form, custFormSel)
		values.Set("orig_given_name", "\xff")
		values.Set("given_name", "Ada")
		body := strings.Replace(values.Encode(), "nickname=", "nickname=\xff\xfe\xfd", 1)
		req, err := http.NewRequest(http.MethodPost, e.h.url("/customers/"+id), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := e.b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("POST /customers/%s with raw invalid UTF-8 = %d, want 303, 409 or 422", id, resp.StatusCode)
		}
	})

	t.Run("in the query and the path", func(t *testing.T) {
		tests := []struct {
			target string
			status int
		}{
			{"/customers?q=caf%E9", http.StatusOK},
			{"/customers?q=%FF%FE", http.StatusBadRequest},
			{"/customers?q=ada&field=%FF", http.StatusBadRequest},
			{"/customers?size=%FF", http.StatusBadRequest},
			{"/customers?group=%FF", http.StatusBadRequest},
			{"/customers?from=%FF", http.StatusBadRequest},
			{"/customers?cursor=%FF", http.StatusBadRequest},
			{"/customers?%FF=%FF", http.StatusOK},
			{"/customers/%FF", http.StatusNotFound},
			{"/customers/%FF/edit", http.StatusNotFound},
			{"/customers/%FF/delete", http.StatusNotFound},
			{"/customers/%C3%28", http.StatusNotFound},
			{"/login?return_to=%FF", http.StatusSeeOther}, // signed in: off to the directory
		}
		for _, tt := range tests {
			p := e.b.get(tt.target)
			expect(t, p, tt.status)
			if tt.status == http.StatusOK && !utf8.ValidString(p.Doc.Find("#search-q").AttrOr("value", "")) {
				t.Errorf("GET %s: search box holds invalid UTF-8 %q", tt.target, p.Doc.Find("#search-q").AttrOr("value", ""))
			}
		}
		if got := e.b.get("/customers?q=caf%E9").Doc.Find("#search-q").AttrOr("value", ""); got != "caf\uFFFD" {
			t.Errorf("GET /customers?q=caf%%E9: search box = %q, want %q", got, "caf\uFFFD")
		}
		token := csrfToken(t, e.b.get("/customers/new"))
		for _, path := range []string{"/customers/%FF", "/customers/%FF/delete"} {
			expectErrorPage(t, e.b.post(path, url.Values{"_csrf": {token}, "version": {"0"}, "given_name": {"x"}}), http.StatusNotFound)
		}
		p := e.b.get("/customers?q=caf%E9", "HX-Request", "true", "HX-Target", "\xff", "HX-Current-URL", "\xff")
		if p.StatusCode >= 500 {
			t.Errorf("htmx GET /customers with invalid UTF-8 in its headers = %d, want no 5xx", p.StatusCode)
		}
	})

	t.Run("in a return-to value", func(t *testing.T) {
		b := e.h.newBrowser()
		for _, rt := range []string{"%FF", "/%FF", "/%C3%28"} {
			p := b.get("/login?return_to=" + rt)
			expect(t, p, http.StatusOK)
		}
		cb := b.consent(b.startLogin("/\xff"), 0, "allow")
		p := b.get(cb.String())
		expect(t, p, http.StatusSeeOther)
		if loc := p.location(); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
			t.Errorf("sign-in returning to /\\xff: Location = %q, want a path on this site", loc)
		}
	})
}

// expectQueryError fails unless p is the directory with a message about
// its address, and the form to correct it.
func expectQueryError(t *testing.T, p *page) {
	t.Helper()
	expect(t, p, http.StatusBadRequest)
	if p.testID("query-error").Length() != 1 || dirText(p.testID("problem-message")) == "" {
		t.Errorf("GET %s: want a query-error with a message\n%s", clip(p.Request.URL.RequestURI()), truncate(p.Body))
	}
}

func TestHugeOrRepeatedQueryParametersGetAClearPage(t *testing.T) {
	e := newCustEnv(t, 0)
	before := dirCalls(e.h)

	for _, tt := range []struct{ name, query string }{
		{"5,000 search values", strings.Repeat("q=ada&", 5000)},
		{"5,000 empty search values", strings.Repeat("q=&", 5000)},
		{"a 100 KB query string", "q=" + strings.Repeat("a", 100<<10)},
		{"100 KB of parameters we do not know", strings.Repeat("x=1&", 25<<10)},
		{"1,000 page sizes", strings.Repeat("size=25&", 1000)},
		{"two page sizes", "size=25&size=100"},
		{"two cursors", "cursor=a&cursor=b"},
		{"a thousand semicolons", strings.Repeat(";", 1000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			expectQueryError(t, e.b.get("/customers?"+tt.query))
			r := dirHTMX(e.b, "/customers?"+tt.query, "customer-results")
			expect(t, r, http.StatusBadRequest)
			if r.Doc.Find(`.alert [data-testid="query-error"]`).Length() != 1 || r.Header.Get("HX-Push-Url") != "false" {
				t.Errorf("htmx GET /customers?%s: want the query error in an alert and HX-Push-Url false\n%s", clip(tt.query), truncate(r.Body))
			}
		})
	}
	if n := dirCalls(e.h) - before; n != 0 {
		t.Errorf("refused directory queries made %d calls to Square, want none", n)
	}

	// Past the server's limit on a request's head, Go refuses before any
	// handler runs: a 4xx all the same (cmd/web sets the limit to 64 KB).
	p := e.b.get("/customers?" + strings.Repeat("q=a&", 300<<10))
	if p.StatusCode != http.StatusRequestHeaderFieldsTooLarge && p.StatusCode != http.StatusRequestURITooLong && p.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /customers with a 1.2 MB query = %d, want 431, 414 or 400", p.StatusCode)
	}

	// Pages that read no query ignore any amount of it.
	cu := e.create(square.CreateCustomerRequest{GivenName: "Quiet"})
	for _, path := range []string{"/customers/" + cu.ID, "/customers/" + cu.ID + "/edit", "/customers/new", "/settings/connection"} {
		expect(t, e.b.get(path+"?"+strings.Repeat("x=1&", 25<<10)), http.StatusOK)
	}

	// A repeated form field counts once: the first.
	form := e.b.get("/customers/new")
	_, values := custFormValues(t, form, custFormSel)
	values["given_name"] = append([]string{"First"}, strings.Split(strings.Repeat("Other,", 5000), ",")...)
	p = e.b.post("/customers", values)
	expect(t, p, http.StatusSeeOther)
	if got := e.get(strings.TrimPrefix(p.location(), "/customers/")).GivenName; got != "First" {
		t.Errorf("POST /customers with 5,001 given names: saved %q, want the first, First", got)
	}

	// A repeated return-to keeps the first, and only if it is local.
	b := e.h.newBrowser()
	for _, tt := range []struct{ query, want string }{
		{"return_to=%2Fcustomers&return_to=%2F%2Fevil.example", "/customers"},
		{"return_to=%2F%2Fevil.example&return_to=%2Fcustomers", ""},
	} {
		p := b.get("/login?" + tt.query)
		expect(t, p, http.StatusOK)
		if got := p.Doc.Find(`input[name="return_to"]`).AttrOr("value", ""); got != tt.want {
			t.Errorf("GET /login?%s: return_to = %q, want %q", tt.query, got, tt.want)
		}
	}

	// Signed out, a huge address is not remembered (it would be escaped
	// into a redirect past the header limit), and sign-in still answers.
	p = b.get("/customers?" + strings.Repeat("q=a&", 5000))
	expect(t, p, http.StatusSeeOther)
	if loc := p.location(); loc != "/login" {
		t.Fatalf("GET /customers signed out with a 20 KB query: Location = %q, want /login", clip(loc))
	}
	expect(t, b.get(p.location()), http.StatusOK)
}

func TestForwardedHeadersFromAnUntrustedPeerLeaveRedirectsCookiesAndTheOriginCheckAlone(t *testing.T) {
	// Loopback is not a trusted proxy here: only 10.0.0.0/8 is.
	h := newHarness(t, withTrustedProxies(netip.MustParsePrefix("10.0.0.0/8")))
	b := h.newBrowser()
	b.header = headers(append(spoofed, "X-Forwarded-Port", "443", "X-Forwarded-Scheme", "https", "X-Original-Url", "//evil.example/")...)

	expectRedirect(t, b.get("/customers"), "/login?return_to=%2Fcustomers")
	p := b.signIn(0)
	if line := requestLog(t, h, p); !strings.Contains(line, "ip=127.0.0.1 ") {
		t.Errorf("GET /customers with X-Forwarded-For from a peer outside the trusted proxies: log %q, want ip=127.0.0.1", line)
	}
	for _, c := range []string{h.sessions.CookieName(), "csrf"} {
		if b.cookie(c) == "" {
			t.Errorf("with X-Forwarded-Proto: https on plain http: no cookie %s, want it under its plain-http name", c)
		}
	}
	if b.cookie("__Host-tessera") != "" || b.cookie("__Host-csrf") != "" {
		t.Error("with X-Forwarded-Proto: https on plain http: __Host- cookies, want none")
	}

	form := b.get("/customers/new")
	expect(t, form, http.StatusOK)
	_, values := custFormValues(t, form, custFormSel)
	values.Set("given_name", "Forwarded")
	p = b.post("/customers", values)
	expect(t, p, http.StatusSeeOther)
	if loc := p.location(); !strings.HasPrefix(loc, "/customers/") {
		t.Errorf("POST /customers with X-Forwarded-Host: Location = %q, want a path", loc)
	}
	for _, page := range []*page{form, b.get(p.location()), b.get("/settings/connection")} {
		for _, bad := range []string{"evil.example", "1.2.3.4", "5.6.7.8"} {
			if strings.Contains(page.Body, bad) || strings.Contains(fmt.Sprint(page.Header), bad) {
				t.Errorf("GET %s shows the spoofed %q", page.Request.URL.Path, bad)
			}
		}
	}

	// The origin check compares with TESSERA_BASE_URL: neither a forwarded
	// host nor the Host header makes a foreign Origin ours.
	creates := h.emu.CountCalls(callCreate, 0)
	values.Set("idempotency_key", "forwarded-origin-key-0001")
	p = b.post("/customers", values, "Origin", "http://evil.example")
	expectErrorPage(t, p, http.StatusForbidden)
	req, err := http.NewRequest(http.MethodPost, h.url("/customers"), strings.NewReader(values.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /customers with Host and Origin evil.example = %d, want 403", resp.StatusCode)
	}
	if n := h.emu.CountCalls(callCreate, 0) - creates; n != 0 {
		t.Errorf("refused cross-origin creates made %d CreateCustomer calls, want none", n)
	}

	expectRedirect(t, b.signOut(), "/login")
}

// openRedirects are return-to values that try to leave the site, as they
// arrive after the form or query is decoded.
var openRedirects = []string{
	"//evil.com", "///evil.com", "////evil.com", `/\evil.com`, `\/\/evil.com`, `\\evil.com`, `/\/evil.com`,
	"/\t/evil.com", "/\n/evil.com", "/\r/evil.com", "\t//evil.com", " //evil.com", "/\x00/evil.com", "/\x0b/evil.com",
	"%2F%2Fevil.com", "/%2F/evil.com", "/%5Cevil.com", "%5C%5Cevil.com", "/%09/evil.com", "/%0A/evil.com",
	"https://evil.com", "https:evil.com", "https:/evil.com", "HTTPS://evil.com", "http://evil.com", "//evil.com@x",
	"/@evil.com", "/.//evil.com", "/..//evil.com", "/../evil.com", "/\u3000/evil.com", "/\uff0f/evil.com", "\uff0f\uff0fevil.com",
	"javascript:alert(1)", "JaVaScRiPt:alert(1)", "/javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
	"//evil.com/%2F..", "/customers?x=//evil.com", "/#//evil.com", "//127.0.0.1", "//[::1]", "/\u2028//evil.com",
}

// expectLocalLocation fails unless Location stays on the site however a
// browser reads it.
func expectLocalLocation(t *testing.T, h *harness, p *page, what string) {
	t.Helper()
	loc := p.location()
	seen := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(loc)
	u, err := h.base.Parse(loc)
	if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") || strings.HasPrefix(seen, `/\`) ||
		err != nil || u.Host != h.base.Host || u.Scheme != h.base.Scheme {
		t.Errorf("%s: Location = %q, want a path on this site", what, loc)
	}
}

func TestSignInNeverReturnsToAnotherSite(t *testing.T) {
	h := newHarness(t)
	for _, payload := range openRedirects {
		t.Run(fmt.Sprintf("%q", payload), func(t *testing.T) {
			// The sign-in page keeps only a local path, however the value
			// was written in its address: escaped, or as it is.
			targets := []string{"/login?return_to=" + url.QueryEscape(payload)}
			if !strings.ContainsAny(payload, " \t\r\n\x00\x0b#&+") && !strings.ContainsFunc(payload, func(r rune) bool { return r > 0x7f }) {
				targets = append(targets, "/login?return_to="+payload)
			}
			for _, target := range targets {
				b := h.newBrowser()
				p := b.get(target)
				expect(t, p, http.StatusOK)
				field := p.Doc.Find(`input[name="return_to"]`).AttrOr("value", "")
				if field != "" && (!strings.HasPrefix(field, "/") || strings.HasPrefix(field, "//") || strings.ContainsAny(field, "\\\t\r\n")) {
					t.Errorf("GET %s: return_to = %q, want a path on this site or nothing", target, field)
				}
				cb := b.consent(b.startLogin(field), 0, "allow")
				expectLocalLocation(t, h, b.get(cb.String()), "sign-in from "+target)
			}
			// Posted straight to the sign-in, past the page.
			b := h.newBrowser()
			cb := b.consent(b.startLogin(payload), 0, "allow")
			p := b.get(cb.String())
			expect(t, p, http.StatusSeeOther)
			expectLocalLocation(t, h, p, "sign-in posted with return_to "+fmt.Sprintf("%q", payload))
		})
	}

	// A signed-out request for an odd address is not turned into a
	// return-to that leaves the site.
	b := h.newBrowser()
	for _, path := range []string{"//evil.com/customers", "/customers/..%2F..%2F%2Fevil.com", `/customers/%5C%5Cevil.com`} {
		req, err := http.NewRequest(http.MethodGet, h.url("/"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawPath, req.URL.Path = path, mustUnescapePath(t, path)
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("GET %s = %d, want no 5xx", path, resp.StatusCode)
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			rt, _ := url.Parse(loc)
			if back := rt.Query().Get("return_to"); back != "" && (strings.HasPrefix(back, "//") || strings.HasPrefix(back, `/\`)) {
				t.Errorf("GET %s: Location = %q, want no return-to off the site", path, loc)
			}
		}
	}
}

func mustUnescapePath(t *testing.T, p string) string {
	t.Helper()
	s, err := url.PathUnescape(p)
	if err != nil {
		t.Fatalf("url.PathUnescape(%q): %v", p, err)
	}
	return s
}

func TestAStaleOrForgedSessionCookieWritesNothingEvenWithAValidCSRFToken(t *testing.T) {
	tests := []struct {
		name string
		// spoil turns the signed-in browser's session cookie bad.
		spoil func(e *custEnv)
	}{
		{"a cookie after sign-out", func(e *custEnv) {
			old := e.b.sessionCookie()
			e.b.signOut()
			e.b.setCookie(e.h.sessions.CookieName(), old)
		}},
		{"a cookie idle for 31 minutes", func(e *custEnv) { e.h.clock.Advance(31 * time.Minute) }},
		{"a cookie with a tampered signature", func(e *custEnv) {
			id, sig, _ := strings.Cut(e.b.sessionCookie(), ".")
			e.b.setCookie(e.h.sessions.CookieName(), id+"."+flip(sig))
		}},
		{"a cookie with another session's id", func(e *custEnv) {
			other := e.h.newBrowser()
			other.signIn(1)
			otherID, _, _ := strings.Cut(other.sessionCookie(), ".")
			_, sig, _ := strings.Cut(e.b.sessionCookie(), ".")
			e.b.setCookie(e.h.sessions.CookieName(), otherID+"."+sig)
		}},
		{"no session cookie", func(e *custEnv) { e.b.setCookie(e.h.sessions.CookieName(), "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCustEnv(t, 0)
			cu := e.create(square.CreateCustomerRequest{GivenName: "Untouched"})
			_, create := custFormValues(t, e.b.get("/customers/new"), custFormSel)
			create.Set("given_name", "Intruder")
			_, edit := custFormValues(t, e.b.get("/customers/"+cu.ID+"/edit"), custFormSel)
			edit.Set("given_name", "Intruder")
			del := url.Values{"_csrf": {create.Get("_csrf")}, "version": {"0"}}
			writes := e.calls(callCreate) + e.calls(callUpdate) + e.calls(callDelete)

			tt.spoil(e)

			for _, w := range []struct {
				path string
				form url.Values
			}{{"/customers", create}, {"/customers/" + cu.ID, edit}, {"/customers/" + cu.ID + "/delete", del}} {
				p := e.b.post(w.path, w.form)
				if p.StatusCode != http.StatusSeeOther || p.location() != "/login" {
					t.Errorf("POST %s with %s = %d to %q, want 303 to /login", w.path, tt.name, p.StatusCode, p.location())
				}
				p = e.b.post(w.path, w.form, custHX...)
				expect(t, p, http.StatusUnauthorized)
			}
			if n := e.calls(callCreate) + e.calls(callUpdate) + e.calls(callDelete) - writes; n != 0 {
				t.Errorf("with %s: %d writes reached Square, want none", tt.name, n)
			}
			// The session's own token may be revoked by now; ask as the
			// merchant with a fresh one.
			fresh := e.h.square.WithAccessToken(e.h.emu.MintAccessToken(e.h.merchant(0).ID))
			if got, err := fresh.Customers.Get(t.Context(), cu.ID); err != nil || got.GivenName != "Untouched" || got.Version != 0 {
				t.Errorf("with %s: Customers.Get(%s) = %+v, %v; want Untouched at version 0", tt.name, cu.ID, got, err)
			}
			if e.b.signedIn() {
				t.Errorf("with %s: signed in, want signed out", tt.name)
			}
		})
	}
}

func TestAnotherMerchantsCustomerIsNotFoundOnEveryRouteAndSquareRecordsNoWrite(t *testing.T) {
	e := newCustEnv(t, 0)
	other := e.h.newBrowser()
	other.signIn(1)
	d, _ := e.h.sessionData(other.sessionCookie())
	theirClient := e.h.square.WithAccessToken(d.AccessToken)
	theirs, err := theirClient.Customers.Create(t.Context(), &square.CreateCustomerRequest{GivenName: "Not yours", EmailAddress: "b@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	base := "/customers/" + theirs.ID

	for _, path := range []string{base, base + "/edit", base + "/delete"} {
		expectErrorPage(t, e.b.get(path), http.StatusNotFound)
		p := e.b.get(path, custHX...)
		expect(t, p, http.StatusNotFound)
		if p.testID("alert").Length() != 1 {
			t.Errorf("htmx GET %s: want an alert fragment\n%s", path, truncate(p.Body))
		}
	}

	// This merchant's real edit form, its originals and version made to
	// match the other merchant's customer, posted to that customer; then
	// the conflict page's fields and a delete with the right version.
	mine := e.create(square.CreateCustomerRequest{GivenName: "Not yours", EmailAddress: "b@example.com"})
	_, edit := custFormValues(t, e.b.get("/customers/"+mine.ID+"/edit"), custFormSel)
	edit.Set("given_name", "Taken over")
	conflict := url.Values{"_csrf": {edit.Get("_csrf")}, "version": {"0"}, "orig_given_name": {"Not yours"},
		"given_name": {"Not yours"}, "mine_given_name": {"Taken over"}, "pick_given_name": {"mine"}}
	del := url.Values{"_csrf": {edit.Get("_csrf")}, "version": {"0"}}
	for _, w := range []struct {
		path string
		form url.Values
	}{{base, edit}, {base, conflict}} {
		expectErrorPage(t, e.b.post(w.path, w.form), http.StatusNotFound)
		expect(t, e.b.post(w.path, w.form, custHX...), http.StatusNotFound)
	}
	// Square answers the delete 404, as it does for a customer already
	// deleted, and a delete that finds nothing counts as done (a retry
	// after a lost answer must not fail). So the answer is "deleted", and
	// what matters is that nothing was.
	expectRedirect(t, e.b.post(base+"/delete", del), "/customers")
	p := e.b.post(base+"/delete", del, custHX...)
	if p.StatusCode != http.StatusNoContent || p.Header.Get("HX-Redirect") != "/customers" {
		t.Errorf("htmx POST %s/delete = %d HX-Redirect %q, want 204 to /customers", base, p.StatusCode, p.Header.Get("HX-Redirect"))
	}

	for _, c := range e.h.emu.Calls() {
		if strings.Contains(c.Path, theirs.ID) && c.Method != http.MethodGet && c.Status < 300 {
			t.Errorf("Square accepted %s %s (%d) for another merchant's customer", c.Method, c.Path, c.Status)
		}
	}
	got, err := theirClient.Customers.Get(t.Context(), theirs.ID)
	if err != nil || got.GivenName != "Not yours" || got.Version != theirs.Version {
		t.Errorf("the other merchant's customer = %+v, %v; want it unchanged at version %d", got, err, theirs.Version)
	}
}
