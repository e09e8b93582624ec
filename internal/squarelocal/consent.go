package squarelocal

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The consent page Square shows at /oauth2/authorize (docs/square.md#authorize),
// for browsers: the seller picks one of the seeded merchants and allows or
// denies the app. It works under any path prefix: the form posts to the
// relative URL "authorize" and carries the request in hidden fields.
//
// Every problem with the request (unknown client_id, redirect_uri, scope,
// response_type, PKCE method) is shown on an error page and never
// redirected, so a bad link cannot bounce the browser anywhere. The form
// carries an HMAC of its parameters and the time it was shown, so that a
// cross-site post, which cannot read the page, cannot mint a code.

// consentFormLifetime is how long a rendered consent form can be submitted.
const consentFormLifetime = time.Hour

// consentKey signs consent forms; it lives as long as the process.
var consentKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

//go:embed consent.html
var consentHTML string

var consentTemplates = template.Must(template.New("pages").Parse(consentHTML))

// defaultOAuthScopes are the permissions Square asks for when the authorize
// request names none.
var defaultOAuthScopes = []string{"MERCHANT_PROFILE_READ", "PAYMENTS_READ", "SETTLEMENTS_READ", "BANK_ACCOUNTS_READ"}

// oauthPermissions are Square's OAuth permission names. The emulator
// enforces only the five of AllScopes; the others can be granted and show
// in token status, as on Square.
var oauthPermissions = setOf(`APPOINTMENTS_ALL_READ APPOINTMENTS_ALL_WRITE APPOINTMENTS_BUSINESS_SETTINGS_READ
APPOINTMENTS_READ APPOINTMENTS_WRITE BANK_ACCOUNTS_READ CASH_DRAWER_READ CUSTOMERS_READ CUSTOMERS_WRITE
DEVICE_CREDENTIAL_MANAGEMENT DISPUTES_READ DISPUTES_WRITE EMPLOYEES_READ EMPLOYEES_WRITE GIFTCARDS_READ
GIFTCARDS_WRITE INVENTORY_READ INVENTORY_WRITE INVOICES_READ INVOICES_WRITE ITEMS_READ ITEMS_WRITE LOYALTY_READ
LOYALTY_WRITE MERCHANT_PROFILE_READ MERCHANT_PROFILE_WRITE ONLINE_STORE_SITE_READ ONLINE_STORE_SNIPPETS_READ
ONLINE_STORE_SNIPPETS_WRITE ORDERS_READ ORDERS_WRITE PAYMENTS_READ PAYMENTS_WRITE
PAYMENTS_WRITE_ADDITIONAL_RECIPIENTS PAYMENTS_WRITE_IN_PERSON PAYMENTS_WRITE_SHARED_ONFILE PAYOUTS_READ
RESERVATIONS_READ RESERVATIONS_WRITE RESTAURANT_CHECKS_READ SETTLEMENTS_READ SUBSCRIPTIONS_READ
SUBSCRIPTIONS_WRITE TIMECARDS_READ TIMECARDS_SETTINGS_READ TIMECARDS_SETTINGS_WRITE TIMECARDS_WRITE
VENDOR_READ VENDOR_WRITE`)

// permissionWords says in plain words what the permissions Tessera uses
// allow; the others are described from their names.
var permissionWords = map[string]string{
	ScopeCustomersRead:       "See your customer directory",
	ScopeCustomersWrite:      "Add, change and delete customers in your customer directory",
	ScopePaymentsRead:        "See payments and the cards your customers keep on file",
	ScopePaymentsWrite:       "Save cards on file and take payments",
	ScopeMerchantProfileRead: "See your business name, country and locations",
	"SETTLEMENTS_READ":       "See your deposits",
	"BANK_ACCOUNTS_READ":     "See your linked bank accounts",
}

// describePermission turns a permission name into plain words.
func describePermission(name string) string {
	if w, ok := permissionWords[name]; ok {
		return w
	}
	words := strings.Split(strings.ToLower(name), "_")
	switch words[len(words)-1] {
	case "read":
		return "See your " + strings.Join(words[:len(words)-1], " ")
	case "write":
		return "Change your " + strings.Join(words[:len(words)-1], " ")
	}
	return "Use " + strings.Join(words, " ")
}

// countryNames names the seeded merchants' countries.
var countryNames = map[string]string{"US": "United States", "DE": "Germany"}

// authorizeRequest is a checked authorize request.
type authorizeRequest struct {
	ClientID string
	Scopes   []string
	State    string
	// RedirectSent is redirect_uri as sent ("" if none): the token
	// exchange must repeat it. Redirect is where the answer goes.
	RedirectSent    string
	Redirect        *url.URL
	CodeChallenge   string
	ChallengeMethod string // "S256" with a challenge, else ""
	ResponseType    string
}

var (
	challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	// redirectHostPattern keeps redirect hosts plain enough to put into a
	// Content-Security-Policy.
	redirectHostPattern = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
)

// maxStateLength bounds the state parameter, which the page carries.
const maxStateLength = 2048

// authorizeParams are the parameters of an authorize request.
var authorizeParams = []string{"client_id", "scope", "state", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "session", "locale"}

// parseAuthorize checks an authorize request, from the query of the page
// or the fields of its form. The message says what is wrong, for the
// error page. Callers hold s.mu.
func (s *Server) parseAuthorize(v url.Values) (*authorizeRequest, string) {
	for _, name := range authorizeParams {
		if len(v[name]) > 1 {
			return nil, "The parameter " + name + " appears more than once."
		}
	}
	ar := &authorizeRequest{ClientID: v.Get("client_id"), State: v.Get("state"), RedirectSent: v.Get("redirect_uri")}
	if ar.ClientID == "" {
		return nil, "The request does not say which application is asking (client_id is missing)."
	}
	app, ok := s.apps[ar.ClientID]
	if !ok {
		return nil, "No application with this client_id is registered."
	}
	switch {
	case ar.RedirectSent != "":
		if len(app.RedirectURIs) > 0 && !slices.Contains(app.RedirectURIs, ar.RedirectSent) {
			return nil, "The redirect_uri is not one the application registered."
		}
		if ar.Redirect, ok = parseRedirectURI(ar.RedirectSent); !ok {
			return nil, "The redirect_uri must be an absolute http or https URL without a fragment."
		}
	case len(app.RedirectURIs) > 0:
		if ar.Redirect, ok = parseRedirectURI(app.RedirectURIs[0]); !ok {
			return nil, "The application's registered redirect URL is not valid."
		}
	default:
		return nil, "The application has no registered redirect URL, so the request must send redirect_uri."
	}
	ar.Scopes = defaultOAuthScopes
	if raw := v.Get("scope"); strings.TrimSpace(raw) != "" {
		ar.Scopes = nil
		for _, sc := range strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == '+' }) {
			if !oauthPermissions[sc] {
				return nil, "The scope " + strconv.Quote(sc) + " is not a Square permission."
			}
			if !slices.Contains(ar.Scopes, sc) {
				ar.Scopes = append(ar.Scopes, sc)
			}
		}
	}
	if rt := v.Get("response_type"); rt != "" && rt != "code" {
		return nil, "Only response_type=code is supported."
	}
	ar.ResponseType = v.Get("response_type")
	ar.CodeChallenge = v.Get("code_challenge")
	method := v.Get("code_challenge_method")
	switch {
	case ar.CodeChallenge == "" && method != "":
		return nil, "code_challenge_method was sent without a code_challenge."
	case ar.CodeChallenge == "":
	case method != "" && method != "S256":
		return nil, "Only the S256 code challenge method is supported."
	case !challengePattern.MatchString(ar.CodeChallenge):
		return nil, "The code_challenge must be the base64url SHA-256 of the code verifier (43 characters)."
	default:
		ar.ChallengeMethod = "S256"
	}
	if len(ar.State) > maxStateLength {
		return nil, "The state parameter is too long."
	}
	return ar, ""
}

// parseRedirectURI accepts an absolute http(s) URL with a plain host, no
// user information and no fragment.
func parseRedirectURI(raw string) (*url.URL, bool) {
	if len(raw) > 2048 || strings.ContainsAny(raw, "# \t\r\n\\") {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Opaque != "" ||
		!redirectHostPattern.MatchString(u.Host) {
		return nil, false
	}
	return u, true
}

// redirectOrigin is the scheme and host of u, for the page's form-action.
func redirectOrigin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// consentToken signs the request a consent form carries, and when it was
// shown.
func consentToken(ar *authorizeRequest, shown time.Time) string {
	ts := strconv.FormatInt(shown.Unix(), 10)
	return ts + "." + consentMAC(ts, ar)
}

func consentMAC(ts string, ar *authorizeRequest) string {
	m := hmac.New(sha256.New, consentKey)
	for _, f := range []string{ts, ar.ClientID, strings.Join(ar.Scopes, " "), ar.State, ar.RedirectSent, ar.CodeChallenge, ar.ChallengeMethod, ar.ResponseType} {
		m.Write([]byte(f))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validConsentToken reports whether token was made for ar by a page shown
// within consentFormLifetime before now.
func validConsentToken(token string, ar *authorizeRequest, now time.Time) bool {
	ts, mac, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	shown, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(shown, 0))
	if age < -time.Minute || age > consentFormLifetime {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(consentMAC(ts, ar)))
}

// consentView is what the consent template shows.
type consentView struct {
	Nonce       string
	ClientID    string
	Permissions []string
	Merchants   []consentMerchant
	Hidden      []hiddenField
	ReturnTo    string
}

type consentMerchant struct{ ID, Name, Country string }

type hiddenField struct{ Name, Value string }

// authorizePage shows the consent page.
func (s *Server) authorizePage(w http.ResponseWriter, hr *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ar, problem := s.parseAuthorize(hr.URL.Query())
	if problem != "" {
		renderConsentError(w, http.StatusBadRequest, problem)
		return
	}
	view := consentView{
		Nonce:    newNonce(),
		ClientID: ar.ClientID,
		ReturnTo: ar.Redirect.Host,
		Hidden: []hiddenField{
			{"client_id", ar.ClientID},
			{"scope", strings.Join(ar.Scopes, " ")},
			{"state", ar.State},
			{"redirect_uri", ar.RedirectSent},
			{"response_type", ar.ResponseType},
			{"code_challenge", ar.CodeChallenge},
			{"code_challenge_method", ar.ChallengeMethod},
			{"consent_token", consentToken(ar, s.Now())},
		},
	}
	for _, sc := range ar.Scopes {
		view.Permissions = append(view.Permissions, describePermission(sc))
	}
	for _, md := range s.merchants {
		m := md.Merchant
		country := countryNames[m.Country]
		if country == "" {
			country = m.Country
		}
		view.Merchants = append(view.Merchants, consentMerchant{ID: m.ID, Name: m.BusinessName, Country: country})
	}
	renderConsent(w, http.StatusOK, "consent", view, view.Nonce, redirectOrigin(ar.Redirect))
}

// authorizeDecision takes the consent form's answer and sends the browser
// back to the app with a code or an error.
func (s *Server) authorizeDecision(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, 64<<10)
	if err := hr.ParseForm(); err != nil {
		renderConsentError(w, http.StatusBadRequest, "The consent form could not be read.")
		return
	}
	if hr.Header.Get("Sec-Fetch-Site") == "cross-site" {
		renderConsentError(w, http.StatusForbidden, "The consent form was sent from another site.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	form := hr.PostForm
	ar, problem := s.parseAuthorize(form)
	if problem != "" {
		renderConsentError(w, http.StatusBadRequest, problem)
		return
	}
	if len(form["consent_token"]) != 1 || !validConsentToken(form.Get("consent_token"), ar, now) {
		renderConsentError(w, http.StatusForbidden, "This consent form has expired or did not come from this page.")
		return
	}
	var answer url.Values
	switch form.Get("decision") {
	case "deny":
		answer = url.Values{"error": {"access_denied"}, "error_description": {"user_denied"}}
	case "allow":
		md, ok := s.byID[form.Get("merchant_id")]
		if !ok || len(form["merchant_id"]) != 1 {
			renderConsentError(w, http.StatusBadRequest, "Choose one of the businesses listed.")
			return
		}
		code := &authCode{
			Code: s.ids.token(authCodePrefix), ClientID: ar.ClientID, MerchantID: md.Merchant.ID,
			Scopes: ar.Scopes, RedirectURI: ar.RedirectSent, CodeChallenge: ar.CodeChallenge,
			ExpiresAt: now.Add(authCodeLifetime),
		}
		s.pruneCodes(now)
		s.codes[code.Code] = code
		answer = url.Values{"code": {code.Code}, "response_type": {"code"}}
	default:
		renderConsentError(w, http.StatusBadRequest, "Choose Allow or Deny.")
		return
	}
	if ar.State != "" {
		answer.Set("state", ar.State)
	}
	target := *ar.Redirect
	q := target.Query()
	for k, vs := range answer {
		q[k] = vs
	}
	target.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Location", target.String())
	w.WriteHeader(http.StatusFound)
}

// pruneCodes forgets codes long past their expiry; used codes are kept
// until then so a replay is recognised. Callers hold s.mu.
func (s *Server) pruneCodes(now time.Time) {
	for k, c := range s.codes {
		if now.Sub(c.ExpiresAt) > time.Hour {
			delete(s.codes, k)
		}
	}
}

func renderConsentError(w http.ResponseWriter, status int, message string) {
	nonce := newNonce()
	renderConsent(w, status, "error", map[string]string{"Nonce": nonce, "Message": message}, nonce, "")
}

// renderConsent writes a page of the consent flow with headers that keep
// it out of frames, caches and other sites' forms.
func renderConsent(w http.ResponseWriter, status int, name string, data any, nonce, formOrigin string) {
	var buf bytes.Buffer
	if err := consentTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	formAction := "'self'"
	if formOrigin != "" {
		formAction += " " + formOrigin
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; form-action "+formAction+
		"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
