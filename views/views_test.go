package views

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/tessera-dashboard/tessera/static"
)

const (
	nonce         = "n0nce-abc123"
	hostileScript = `<script>alert(1)</script>`
	hostileImg    = `"><img src=x onerror=alert(1)>`
	hostileURL    = `javascript:alert(1)`
)

// render renders c as a handler would, with a CSP nonce in the context, and
// parses the result.
func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(templ.WithNonce(t.Context(), nonce), &buf); err != nil {
		t.Fatalf("Render() error = %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parsing the rendered HTML: %v", err)
	}
	return doc, buf.String()
}

func signedInLayout() Layout {
	return Layout{
		Title:        "Customers",
		CSRFToken:    "tok-123",
		BusinessName: "Ada's Bakery",
		ActiveNav:    NavCustomers,
	}
}

// assertNoInjectedElements fails if a hostile string became markup.
func assertNoInjectedElements(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if n := doc.Find("body script, img").Length(); n != 0 {
		t.Errorf("found %d <script> or <img> elements in the body, want none", n)
	}
	if n := doc.Find("[onerror]").Length(); n != 0 {
		t.Errorf("found %d elements with onerror, want none", n)
	}
}

func TestPageCarriesTheCSRFToken(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, token string }{
		{"a plain token", "tok-123"},
		{"a token with quotes and angle brackets", `a"b'c<d>&e`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := signedInLayout()
			l.CSRFToken = tt.token
			doc, _ := render(t, Page(l, templ.NopComponent))

			if got := doc.Find(`form[action="/logout"] input[name="_csrf"]`).AttrOr("value", ""); got != tt.token {
				t.Errorf("sign-out form _csrf = %q, want %q", got, tt.token)
			}
			raw, ok := doc.Find("body").Attr("hx-headers")
			if !ok {
				t.Fatal("<body> has no hx-headers")
			}
			var headers map[string]string
			if err := json.Unmarshal([]byte(raw), &headers); err != nil {
				t.Fatalf("hx-headers = %q, not JSON: %v", raw, err)
			}
			if got := headers["X-CSRF-Token"]; got != tt.token || len(headers) != 1 {
				t.Errorf("hx-headers = %v, want only X-CSRF-Token: %q", headers, tt.token)
			}
			assertNoInjectedElements(t, doc)
		})
	}
}

func TestPageHead(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, Page(signedInLayout(), templ.NopComponent))

	if got := doc.Find("html").AttrOr("lang", ""); got != "en" {
		t.Errorf(`<html lang> = %q, want "en"`, got)
	}
	if got := doc.Find("title").Text(); got != "Customers · Tessera" {
		t.Errorf("<title> = %q, want %q", got, "Customers · Tessera")
	}
	if got := doc.Find(`link[rel="stylesheet"]`).AttrOr("href", ""); got != static.Path("app.css") {
		t.Errorf("stylesheet href = %q, want %q", got, static.Path("app.css"))
	}

	scripts := doc.Find("head script")
	wantSrc := []string{static.Path("vendor/htmx-2.0.11.min.js"), static.Path("app.js")}
	if scripts.Length() != len(wantSrc) {
		t.Fatalf("found %d scripts in <head>, want %d", scripts.Length(), len(wantSrc))
	}
	scripts.Each(func(i int, s *goquery.Selection) {
		if got := s.AttrOr("src", ""); got != wantSrc[i] {
			t.Errorf("script %d src = %q, want %q", i, got, wantSrc[i])
		}
		if got := s.AttrOr("nonce", ""); got != nonce {
			t.Errorf("script %d nonce = %q, want %q", i, got, nonce)
		}
		if _, ok := s.Attr("defer"); !ok {
			t.Errorf("script %d has no defer", i)
		}
	})

	var config struct {
		AllowEval, AllowScriptTags, IncludeIndicatorStyles, SelfRequestsOnly *bool
		HistoryCacheSize                                                     *int
		ResponseHandling                                                     []struct {
			Code  string
			Swap  bool
			Error *bool
		}
	}
	raw := doc.Find(`meta[name="htmx-config"]`).AttrOr("content", "")
	if err := json.Unmarshal([]byte(raw), &config); err != nil {
		t.Fatalf("htmx-config = %q, not JSON: %v", raw, err)
	}
	for name, v := range map[string]*bool{
		"allowEval": config.AllowEval, "allowScriptTags": config.AllowScriptTags,
		"includeIndicatorStyles": config.IncludeIndicatorStyles,
	} {
		if v == nil || *v {
			t.Errorf("htmx-config %s = %v, want false", name, v)
		}
	}
	if config.SelfRequestsOnly == nil || !*config.SelfRequestsOnly {
		t.Errorf("htmx-config selfRequestsOnly = %v, want true", config.SelfRequestsOnly)
	}
	if config.HistoryCacheSize == nil || *config.HistoryCacheSize != 0 {
		t.Errorf("htmx-config historyCacheSize = %v, want 0", config.HistoryCacheSize)
	}
	swaps := map[string]bool{}
	for _, h := range config.ResponseHandling {
		if _, seen := swaps[h.Code]; !seen {
			swaps[h.Code] = h.Swap && (h.Error == nil || !*h.Error)
		}
	}
	for _, code := range []string{"409", "422"} {
		if !swaps[code] {
			t.Errorf("htmx-config responseHandling for %s = no plain swap, want swap without error", code)
		}
	}
}

func TestPageSignedInAndOut(t *testing.T) {
	t.Parallel()
	t.Run("signed in shows navigation, the business and Sign out", func(t *testing.T) {
		doc, _ := render(t, Page(signedInLayout(), templ.NopComponent))
		if got := doc.Find(`[data-testid="business-name"]`).Text(); got != "Ada's Bakery" {
			t.Errorf("business name = %q, want %q", got, "Ada's Bakery")
		}
		button := doc.Find(`form[method="post"][action="/logout"] button[type="submit"]`)
		if got := strings.TrimSpace(button.Text()); got != "Sign out" {
			t.Errorf("sign-out button = %q, want %q", got, "Sign out")
		}
		current := doc.Find(`nav a[aria-current="page"]`)
		if current.Length() != 1 || current.AttrOr("href", "") != "/customers" {
			t.Errorf("aria-current links = %d (%q), want only /customers", current.Length(), current.AttrOr("href", ""))
		}
		if got := doc.Find(`nav a[href="/settings/connection"]`).Text(); got != "Connection" {
			t.Errorf("connection link = %q, want %q", got, "Connection")
		}
	})
	t.Run("signed out shows neither navigation nor Sign out", func(t *testing.T) {
		doc, _ := render(t, Page(Layout{Title: "Sign in", CSRFToken: "t"}, templ.NopComponent))
		if n := doc.Find(`form[action="/logout"], nav, [data-testid="business-name"]`).Length(); n != 0 {
			t.Errorf("signed-out page has %d sign-out, nav or business elements, want none", n)
		}
		if got := doc.Find(".brand").Text(); got != "Tessera" {
			t.Errorf("brand = %q, want %q", got, "Tessera")
		}
	})
}

func TestPageLandmarks(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, Page(signedInLayout(), templ.NopComponent))
	for _, sel := range []string{"header", "main#main", `a.skip-link[href="#main"]`, "#global-indicator.htmx-indicator"} {
		if doc.Find(sel).Length() != 1 {
			t.Errorf("found %d of %s, want 1", doc.Find(sel).Length(), sel)
		}
	}
	if got := doc.Find("body").AttrOr("hx-indicator", ""); got != "#global-indicator" {
		t.Errorf("<body hx-indicator> = %q, want #global-indicator", got)
	}
	alerts := doc.Find(`#alerts[data-testid="alerts"]`)
	if alerts.AttrOr("role", "") != "status" || alerts.AttrOr("aria-live", "") != "polite" {
		t.Errorf(`#alerts role, aria-live = %q, %q, want "status", "polite"`, alerts.AttrOr("role", ""), alerts.AttrOr("aria-live", ""))
	}
}

func TestPageLocalBanner(t *testing.T) {
	t.Parallel()
	for _, local := range []bool{false, true} {
		l := signedInLayout()
		l.LocalMode = local
		doc, _ := render(t, Page(l, templ.NopComponent))
		banner := doc.Find(`[data-testid="local-banner"]`)
		if got := banner.Length() == 1; got != local {
			t.Errorf("Page(LocalMode: %v) shows the banner = %v, want %v", local, got, local)
		}
		if local && !strings.Contains(banner.Text(), "not from Square") {
			t.Errorf("banner = %q, want it to say the data is not from Square", banner.Text())
		}
	}
}

func TestPagesAreNeverKeptInHtmxHistory(t *testing.T) {
	t.Parallel()
	// Every page carries customer data or session state, and is sent with
	// Cache-Control: no-store; htmx must not keep a copy either.
	doc, _ := render(t, Page(signedInLayout(), templ.NopComponent))
	if got, ok := doc.Find("body").Attr("hx-history"); got != "false" {
		t.Errorf("Page() <body hx-history> = %q (present %v), want \"false\"", got, ok)
	}
}

func TestPageFlashes(t *testing.T) {
	t.Parallel()
	l := signedInLayout()
	l.RequestID = "req-42"
	l.Flashes = []Flash{
		{Kind: FlashSuccess, Message: "Customer saved."},
		{Kind: FlashError, Message: "Square did not answer."},
		{Kind: `x" onclick="alert(1)`, Message: "Odd kind."},
	}
	doc, _ := render(t, Page(l, templ.NopComponent))
	flashes := doc.Find(`#alerts [data-testid="flash"]`)
	if flashes.Length() != 3 {
		t.Fatalf("found %d flashes, want 3", flashes.Length())
	}
	wantClass := []string{"alert alert-success", "alert alert-error", "alert alert-info"}
	flashes.Each(func(i int, s *goquery.Selection) {
		if got := s.AttrOr("class", ""); got != wantClass[i] {
			t.Errorf("flash %d class = %q, want %q", i, got, wantClass[i])
		}
	})
	if got := flashes.Eq(1).Find(".reference").Text(); got != "Reference: req-42" {
		t.Errorf("error flash reference = %q, want %q", got, "Reference: req-42")
	}
	if n := flashes.Eq(0).Find(".reference").Length(); n != 0 {
		t.Errorf("success flash has %d references, want none", n)
	}
	if n := doc.Find("[onclick]").Length(); n != 0 {
		t.Errorf("found %d elements with onclick, want none", n)
	}
}

func TestHostileStringsRenderAsText(t *testing.T) {
	t.Parallel()
	for _, hostile := range []string{hostileScript, hostileImg} {
		t.Run(hostile, func(t *testing.T) {
			l := signedInLayout()
			l.BusinessName = hostile
			l.Title = hostile
			l.RequestID = hostile
			l.Flashes = []Flash{{Kind: FlashError, Message: hostile}}
			rows := CustomersView{Rows: []CustomerRow{{
				ID: hostile, Name: hostile, Email: hostile, Phone: hostile, Created: hostile, ProfileURL: hostile,
			}}}
			pages := map[string]templ.Component{
				"customers":  CustomersPage(l, rows),
				"login":      LoginPage(l, LoginView{Error: hostile, ReturnTo: hostile}),
				"error":      ErrorPage(l, ErrorView{Title: hostile, Message: hostile, RequestID: hostile, BackURL: hostile, BackLabel: hostile}),
				"alert":      Alert(ErrorView{Title: hostile, Message: hostile, RequestID: hostile}),
				"connection": ConnectionPage(l, ConnectionView{BusinessName: hostile, MerchantID: hostile, Scopes: []string{hostile}, Error: hostile}),
				"field":      TextField(Field{Name: "n", Label: hostile, Value: hostile, Error: hostile, Hint: hostile}),
			}
			for name, page := range pages {
				doc, _ := render(t, page)
				assertNoInjectedElements(t, doc)
				if !strings.Contains(doc.Text(), hostile) {
					t.Errorf("%s page text does not contain %q as text", name, hostile)
				}
			}
		})
	}
}

func TestURLsAreSanitized(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, CustomerRows(CustomersView{Rows: []CustomerRow{{Name: "Eve", ProfileURL: hostileURL}}}))
	if href := doc.Find("a").AttrOr("href", ""); strings.HasPrefix(strings.ToLower(href), "javascript:") {
		t.Errorf("profile link href = %q, want a sanitized URL", href)
	}
	doc, _ = render(t, ErrorPage(Layout{}, ErrorView{BackURL: hostileURL, RetryURL: hostileURL}))
	doc.Find("main a").Each(func(_ int, s *goquery.Selection) {
		if href := s.AttrOr("href", ""); strings.HasPrefix(strings.ToLower(href), "javascript:") {
			t.Errorf("error page link href = %q, want a sanitized URL", href)
		}
	})
}

func TestLoginPage(t *testing.T) {
	t.Parallel()
	l := Layout{Title: "Sign in", CSRFToken: "tok-login", LocalMode: true}
	doc, _ := render(t, LoginPage(l, LoginView{ReturnTo: "/customers?q=ada", Error: "Sign-in was cancelled."}))

	if got := doc.Find("h1").Text(); got != "Sign in" || doc.Find("h1").Length() != 1 {
		t.Errorf("h1 = %q (%d of them), want one %q", got, doc.Find("h1").Length(), "Sign in")
	}
	form := doc.Find(`main form[method="post"][action="/login"]`)
	if form.Length() != 1 {
		t.Fatalf("found %d sign-in forms, want 1", form.Length())
	}
	if got := form.Find(`input[type="hidden"][name="_csrf"]`).AttrOr("value", ""); got != "tok-login" {
		t.Errorf("_csrf = %q, want %q", got, "tok-login")
	}
	if got := form.Find(`input[type="hidden"][name="return_to"]`).AttrOr("value", ""); got != "/customers?q=ada" {
		t.Errorf("return_to = %q, want %q", got, "/customers?q=ada")
	}
	if got := strings.TrimSpace(form.Find(`button[type="submit"]`).Text()); got != "Sign in with Square" {
		t.Errorf("button = %q, want %q", got, "Sign in with Square")
	}
	if got := doc.Find(`[data-testid="login-error"][role="alert"]`).Text(); !strings.Contains(got, "Sign-in was cancelled.") {
		t.Errorf("login error = %q, want the message", got)
	}
}

func TestErrorPage(t *testing.T) {
	t.Parallel()
	v := ErrorView{
		Status: 404, Title: "Page not found", Message: "There is no customer here.",
		RequestID: "req-7f3a", BackURL: "/customers", BackLabel: "Back to customers",
		RetryURL: "/login", RetryLabel: "Sign in again",
	}
	doc, _ := render(t, ErrorPage(Layout{Title: "Not found"}, v))
	page := doc.Find(`[data-testid="error-page"]`)
	if page.Length() != 1 {
		t.Fatalf("found %d error pages, want 1", page.Length())
	}
	for sel, want := range map[string]string{
		"h1":                                "Page not found",
		`[data-testid="error-status"]`:      "Error 404",
		`[data-testid="error-message"]`:     "There is no customer here.",
		`[data-testid="request-id"]`:        "Reference: req-7f3a",
		`a[href="/customers"]`:              "Back to customers",
		`a[href="/login"]`:                  "Sign in again",
		`[data-testid="error-retry"]`:       "Sign in again",
		`[data-testid="error-back"].button`: "Back to customers",
	} {
		if got := strings.TrimSpace(page.Find(sel).Text()); got != want {
			t.Errorf("ErrorPage %s = %q, want %q", sel, got, want)
		}
	}

	doc, _ = render(t, ErrorPage(Layout{}, ErrorView{Status: 500}))
	if got := doc.Find("h1").Text(); got != "Something went wrong" {
		t.Errorf("ErrorPage without a title: h1 = %q, want %q", got, "Something went wrong")
	}
	if n := doc.Find(`[data-testid="request-id"], main a`).Length(); n != 0 {
		t.Errorf("ErrorPage without request id or links has %d of them, want none", n)
	}
}

func TestAlert(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, Alert(ErrorView{Title: "Square is not answering.", Message: "Try again in a minute.", RequestID: "req-9"}))
	alert := doc.Find(`[data-testid="alert"]`)
	if alert.AttrOr("role", "") != "alert" || !alert.HasClass("alert") {
		t.Errorf(`alert role = %q, class = %q, want "alert" with class alert`, alert.AttrOr("role", ""), alert.AttrOr("class", ""))
	}
	text := strings.Join(strings.Fields(alert.Text()), " ")
	for _, want := range []string{"Square is not answering.", "Try again in a minute.", "Reference: req-9"} {
		if !strings.Contains(text, want) {
			t.Errorf("alert text = %q, want it to contain %q", text, want)
		}
	}
}

func TestAlertsOOB(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, AlertsOOB([]Flash{{Kind: FlashSuccess, Message: "Customer deleted."}}, ""))
	region := doc.Find("#alerts")
	if got := region.AttrOr("hx-swap-oob", ""); got != "innerHTML" {
		t.Errorf("hx-swap-oob = %q, want innerHTML", got)
	}
	if got := region.Find(`[data-testid="flash"]`).Text(); got != "Customer deleted." {
		t.Errorf("flash = %q, want %q", got, "Customer deleted.")
	}
}

func TestCustomersPage(t *testing.T) {
	t.Parallel()
	l := signedInLayout()
	v := CustomersView{
		Rows: []CustomerRow{
			{ID: "C1", Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0000", Created: "3 Mar 2025", ProfileURL: "/customers/C1"},
			{ID: "C2", Email: "anon@example.com", Created: "4 Mar 2025", ProfileURL: "/customers/C2"},
		},
		Total:   "1,234 customers",
		NextURL: "/customers?cursor=abc",
	}
	doc, _ := render(t, CustomersPage(l, v))

	if doc.Find("h1").Length() != 1 || doc.Find("h1").Text() != "Customers" {
		t.Errorf("h1 = %q (%d of them), want one %q", doc.Find("h1").Text(), doc.Find("h1").Length(), "Customers")
	}
	table := doc.Find(`table[data-testid="customer-table"]`)
	if table.Find("caption").Length() != 1 {
		t.Error("customer table has no caption")
	}
	var headers []string
	table.Find(`thead th[scope="col"]`).Each(func(_ int, s *goquery.Selection) { headers = append(headers, s.Text()) })
	if got := strings.Join(headers, ","); got != "Name,Company,Email,Phone,Groups,Created" {
		t.Errorf("column headers = %q, want Name,Company,Email,Phone,Groups,Created", got)
	}
	rows := table.Find(`tbody#customer-rows [data-testid="customer-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("found %d customer rows, want 2", rows.Length())
	}
	first := rows.Eq(0)
	if got := first.Find(`th[scope="row"] a`).AttrOr("href", ""); got != "/customers/C1" {
		t.Errorf("first row link = %q, want /customers/C1", got)
	}
	var cells []string
	first.Children().Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
	if got := strings.Join(cells, "|"); got != "Ada Lovelace||ada@example.com|+44 20 7946 0000||3 Mar 2025" {
		t.Errorf("first row cells = %q, want %q", got, "Ada Lovelace||ada@example.com|+44 20 7946 0000||3 Mar 2025")
	}
	if got := rows.Eq(1).Find("a").Text(); got != "Unnamed customer" {
		t.Errorf("a customer without a name links as %q, want %q", got, "Unnamed customer")
	}
	if got := doc.Find(`[data-testid="customer-total"]`).Text(); got != "1,234 customers" {
		t.Errorf("total = %q, want %q", got, "1,234 customers")
	}
	next := doc.Find(`[data-testid="next-page"]`)
	if next.AttrOr("href", "") != "/customers?cursor=abc" || next.Text() != "Next page" {
		t.Errorf("next link = %q %q, want %q %q", next.Text(), next.AttrOr("href", ""), "Next page", "/customers?cursor=abc")
	}
	if n := doc.Find(`[data-testid="empty-state"]`).Length(); n != 0 {
		t.Errorf("a page with rows shows %d empty states, want none", n)
	}
	if got := doc.Find("body").AttrOr("hx-history", ""); got != "false" {
		t.Errorf(`customer page <body hx-history> = %q, want "false"`, got)
	}
}

func TestCustomersPageEmptyAndLast(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, CustomersPage(signedInLayout(), CustomersView{Empty: true, Total: "0 customers"}))
	if n := doc.Find(`[data-testid="empty-state"]`).Length(); n != 1 {
		t.Errorf("found %d empty states, want 1", n)
	}
	if n := doc.Find(`[data-testid="customer-table"], [data-testid="next-page"]`).Length(); n != 0 {
		t.Errorf("empty page has %d tables or next links, want none", n)
	}

	doc, _ = render(t, CustomersPage(signedInLayout(), CustomersView{Rows: []CustomerRow{{Name: "A", ProfileURL: "/customers/A"}}}))
	if n := doc.Find(`[data-testid="next-page"]`).Length(); n != 0 {
		t.Errorf("last page has %d next links, want none", n)
	}
}

func TestCustomerRowsIsOnlyRows(t *testing.T) {
	t.Parallel()
	_, html := render(t, CustomerRows(CustomersView{Rows: []CustomerRow{{ID: "C1", Name: "A", ProfileURL: "/customers/C1"}}}))
	if !strings.HasPrefix(html, "<tr") || strings.Contains(html, "<table") || strings.Contains(html, "<tbody") {
		t.Errorf("CustomerRows() = %q, want bare <tr> elements", html)
	}
}

func TestConnectionPage(t *testing.T) {
	t.Parallel()
	l := signedInLayout()
	l.ActiveNav = NavConnection
	v := ConnectionView{
		BusinessName: "Ada's Bakery", MerchantID: "ML123", Environment: "sandbox",
		Scopes:       []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE"},
		TokenExpires: "in 29 days", ClientID: "sandbox-sq0idb-x",
	}
	doc, _ := render(t, ConnectionPage(l, v))
	section := doc.Find(`[data-testid="connection"]`)
	if section.Find("dl dt").Length() != section.Find("dl dd").Length() || section.Find("dl dt").Length() == 0 {
		t.Errorf("definition list has %d terms and %d definitions, want equal and some", section.Find("dt").Length(), section.Find("dd").Length())
	}
	for sel, want := range map[string]string{
		`[data-testid="connection-business"]`:    "Ada's Bakery",
		`[data-testid="connection-merchant"]`:    "ML123",
		`[data-testid="connection-environment"]`: "sandbox",
		`[data-testid="connection-client"]`:      "sandbox-sq0idb-x",
		`[data-testid="connection-scopes"] li`:   "CUSTOMERS_READCUSTOMERS_WRITE",
		`[data-testid="connection-expires"]`:     "in 29 days",
		`[data-testid="connection-refreshed"]`:   "Not yet",
	} {
		if got := strings.TrimSpace(section.Find(sel).Text()); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if got := doc.Find(`nav a[aria-current="page"]`).AttrOr("href", ""); got != "/settings/connection" {
		t.Errorf("current nav link = %q, want /settings/connection", got)
	}
	if n := doc.Find(`[data-testid="connection-error"]`).Length(); n != 0 {
		t.Errorf("found %d errors, want none", n)
	}

	doc, _ = render(t, ConnectionPage(l, ConnectionView{Error: "Square did not say when the token expires."}))
	if got := doc.Find(`[data-testid="connection-error"][role="alert"]`).Text(); !strings.Contains(got, "Square did not say") {
		t.Errorf("connection error = %q, want the message", got)
	}
	if got := doc.Find(`[data-testid="connection-scopes"]`).Text(); !strings.Contains(got, "Not available") {
		t.Errorf("scopes without any = %q, want Not available", got)
	}
}

func TestFormComponents(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, TextField(Field{
		Name: "email", Label: "Email address", Type: "email", Value: "ada@", Hint: "We never share it.",
		Error: "Enter an email address like name@example.com.", Required: true, Autocomplete: "email",
	}))
	input := doc.Find("input#field-email")
	for attr, want := range map[string]string{
		"name": "email", "type": "email", "value": "ada@", "aria-invalid": "true", "autocomplete": "email",
		"aria-describedby": "field-email-hint field-email-error",
	} {
		if got := input.AttrOr(attr, ""); got != want {
			t.Errorf("input %s = %q, want %q", attr, got, want)
		}
	}
	if _, ok := input.Attr("required"); !ok {
		t.Error("input is not required")
	}
	if got := doc.Find(`label[for="field-email"]`).Text(); got != "Email address" {
		t.Errorf("label = %q, want %q", got, "Email address")
	}
	if got := doc.Find("#field-email-error").Text(); got != "Error: Enter an email address like name@example.com." {
		t.Errorf("error text = %q", got)
	}
	if !doc.Find(`[data-testid="field-email"]`).HasClass("field-invalid") {
		t.Error("field with an error lacks class field-invalid")
	}

	doc, _ = render(t, TextField(Field{Name: "given_name", Label: "First name"}))
	input = doc.Find("input#field-given_name")
	for _, attr := range []string{"aria-invalid", "aria-describedby", "required", "autocomplete"} {
		if _, ok := input.Attr(attr); ok {
			t.Errorf("a plain field has %s, want none", attr)
		}
	}
	if got := input.AttrOr("type", ""); got != "text" {
		t.Errorf("default type = %q, want text", got)
	}

	doc, _ = render(t, ErrorSummary([]FieldError{{FieldID: "field-email", Message: "Enter an email address."}, {Message: "Square refused the change."}}))
	summary := doc.Find(`[data-testid="error-summary"]`)
	if _, ok := summary.Attr("data-focus-first-error"); !ok || summary.AttrOr("tabindex", "") != "-1" {
		t.Error("error summary is not marked for focus with tabindex=-1")
	}
	if got := summary.Find(`a[href="#field-email"]`).Text(); got != "Enter an email address." {
		t.Errorf("summary link = %q, want %q", got, "Enter an email address.")
	}
	if got := summary.Find("li").Length(); got != 2 {
		t.Errorf("summary has %d items, want 2", got)
	}

	_, html := render(t, ErrorSummary(nil))
	if html != "" {
		t.Errorf("ErrorSummary(nil) = %q, want nothing", html)
	}
}

// A customer's name written right to left, or with a direction override in
// it, reorders only itself: every place where text follows the name
// isolates it, and so does the page's title.
func TestNamesAreIsolatedFromTheTextAroundThem(t *testing.T) {
	t.Parallel()
	const name = "Eve \u202Eevil\u202C"
	if got := pageTitle("Delete " + name + "?"); got != "\u2068Delete "+name+"?\u2069 · Tessera" {
		t.Errorf("pageTitle = %q, want the page's part isolated", got)
	}
	if got := pageTitle("שלום"); !strings.HasPrefix(got, "\u2068") {
		t.Errorf("pageTitle of a Hebrew title = %q, want it isolated", got)
	}
	if got := pageTitle("Customers"); got != "Customers · Tessera" {
		t.Errorf("pageTitle(Customers) = %q, want it unchanged", got)
	}
	for label, c := range map[string]templ.Component{
		"delete confirmation": customerDeleteConfirm(CustomerDeleteView{Form: CustomerDeleteForm{Name: name}}),
		"conflict":            CustomerConflict(CustomerConflictView{Name: name}),
	} {
		var b strings.Builder
		if err := c.Render(t.Context(), &b); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if !strings.Contains(b.String(), "<bdi>"+name+"</bdi>") {
			t.Errorf("%s: the name is not in a <bdi>:\n%s", label, b.String())
		}
	}
}
