package handlers

import (
	"context"
	"iter"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// The handlers with Square replaced by a small fake, for answers the
// emulator does not give. Everything else (sessions, CSRF, the store) is
// real; the harness of harness_test.go covers the rest with squarelocal.

// fakeCustomers answers as the test says; a nil function fails the test.
type fakeCustomers struct {
	t      *testing.T
	get    func(id string) (*square.Customer, error)
	update func(id string, body *square.UpdateCustomerRequest) (*square.Customer, error)
}

func (f *fakeCustomers) List(context.Context, *square.ListCustomersParams) (*square.CustomerPage, error) {
	return &square.CustomerPage{}, nil
}

func (f *fakeCustomers) Search(context.Context, *square.SearchCustomersRequest) (*square.CustomerPage, error) {
	return &square.CustomerPage{}, nil
}

func (f *fakeCustomers) Get(_ context.Context, id string) (*square.Customer, error) { return f.get(id) }

func (f *fakeCustomers) Create(context.Context, *square.CreateCustomerRequest) (*square.Customer, error) {
	f.t.Error("the fake was asked to create a customer")
	return nil, nil
}

func (f *fakeCustomers) Update(_ context.Context, id string, body *square.UpdateCustomerRequest) (*square.Customer, error) {
	return f.update(id, body)
}

func (f *fakeCustomers) Delete(context.Context, string, *int64) error {
	f.t.Error("the fake was asked to delete a customer")
	return nil
}

func (f *fakeCustomers) AllGroups(context.Context) iter.Seq2[square.CustomerGroup, error] {
	return func(func(square.CustomerGroup, error) bool) {}
}

type fakeMerchants struct{}

func (fakeMerchants) Get(context.Context, string) (*square.Merchant, error) {
	return &square.Merchant{ID: "M1", Country: "US", MainLocationID: "L1"}, nil
}

// fakeServer serves the handlers with api for Square, as the merchant M1
// signed in, and returns a client that keeps the session's cookies.
func fakeServer(t *testing.T, api merchantAPI) (*httptest.Server, *http.Client) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := &url.URL{Scheme: "http", Host: srv.Listener.Addr().String()}
	cfg := &config.Config{BaseURL: base, Addr: base.Host, Environment: config.Local, SquareVersion: config.DefaultSquareVersion, AllowAnyMerchant: true}
	db, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	secret := []byte("fake-internal-test-secret-0123456789")
	sessions, err := session.NewManager(db, session.Options{Secrets: [][]byte{secret}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := square.NewClient(square.Options{BaseURL: "http://square.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Config: cfg, Sessions: sessions, Square: client, DB: db}
	a := newApp(d)
	a.api = func(string) merchantAPI { return api }
	srv.Config.Handler = a.handler(d)
	srv.Start()
	t.Cleanup(srv.Close)

	// Signed in as the callback would leave the session.
	rec := httptest.NewRecorder()
	if _, err := sessions.Login(t.Context(), rec, nil, session.Data{
		MerchantID: "M1", Tokens: session.Tokens{AccessToken: "token-M1", Expiry: time.Now().Add(30 * 24 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(base, rec.Result().Cookies())
	return srv, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestAnUpdateSquareAnswersWithABareConflictShowsTheConflictPage(t *testing.T) {
	// Square documents no one code for a stale version; a bare 409
	// CONFLICT, which squarelocal never sends, must read as one too.
	version := int64(4)
	customers := &fakeCustomers{t: t,
		get: func(id string) (*square.Customer, error) {
			return &square.Customer{ID: id, GivenName: "Ada", FamilyName: "Byron", Version: version}, nil
		},
		update: func(string, *square.UpdateCustomerRequest) (*square.Customer, error) {
			return nil, &square.Error{StatusCode: http.StatusConflict, Code: "CONFLICT",
				Errors: []square.ErrorDetail{{Category: "INVALID_REQUEST_ERROR", Code: "CONFLICT"}}}
		},
	}
	srv, client := fakeServer(t, merchantAPI{Customers: customers, Merchants: fakeMerchants{}})

	resp, err := client.Get(srv.URL + "/customers/C1/edit")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /customers/C1/edit = %d, %v; want the form", resp.StatusCode, err)
	}
	form := url.Values{}
	doc.Find(`[data-testid="customer-form"] input`).Each(func(_ int, s *goquery.Selection) {
		if name, ok := s.Attr("name"); ok {
			form.Set(name, s.AttrOr("value", ""))
		}
	})
	form.Set("family_name", "Lovelace")
	version = 5 // someone else saved meanwhile

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/customers/C1", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("POST /customers/C1 with Square answering 409 CONFLICT = %d, want 409 and the conflict page", resp.StatusCode)
	}
	if got := page.Find(`input[name="version"]`).AttrOr("value", ""); got != "5" {
		t.Errorf("the conflict page saves at version %q, want Square's current 5", got)
	}
	if got := page.Find(`input[name="pick_family_name"]`).Length(); got != 2 {
		t.Errorf("the conflict page offers %d choices for the last name, want mine and Square's", got)
	}
}

func TestWithoutASubscriptionNoDeliveryIsTaken(t *testing.T) {
	srv, client := fakeServer(t, merchantAPI{Customers: &fakeCustomers{t: t}, Merchants: fakeMerchants{}})
	body := `{"merchant_id":"M1","type":"oauth.authorization.revoked","event_id":"e1","data":{}}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/webhooks/square", strings.NewReader(body))
	// Signed with an empty key, which anyone can compute.
	req.Header.Set("X-Square-Hmacsha256-Signature", "4F/3Xi5yFOFA0mVSmZd8UnDZGmK6uQHwc+ZJBNZ2fUg=")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /webhooks/square without SQUARE_WEBHOOK_SIGNATURE_KEY = %d, want 404", resp.StatusCode)
	}
}
