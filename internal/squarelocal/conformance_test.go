package squarelocal

// The conformance test: every operation squarelocal serves, called with
// valid requests and the usual invalid ones, each request and each answer
// checked against Square's own OpenAPI document (see package squarespec).

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/squarelocal/squarespec"
)

// confCase is one request of the conformance test. Path and body may name
// ids made in setup as {customer}, {group}, … (see conformanceIDs).
type confCase struct {
	name         string
	method, path string
	body         string
	// auth is "" for the merchant's bearer token, "none" for no
	// Authorization header, or the header's whole value.
	auth string
	// specRefuses says the request breaks Square's document (a missing
	// required field, a wrong type, a bad enum): the document must refuse
	// it, which proves the case tests what its name says. Every other
	// request must satisfy the document.
	specRefuses bool
	status      int
	code        string // the first error's code, for an error answer
}

// unknownID is an id of the right shape that names nothing.
const unknownID = "NOPE0000000000000000000000"

func conformanceCases() []confCase {
	const (
		ok   = http.StatusOK
		bad  = http.StatusBadRequest
		none = http.StatusNotFound
	)
	return []confCase{
		// Authentication, on one operation for all.
		{name: "no token", method: "GET", path: "/v2/customers", auth: "none", status: 401, code: "UNAUTHORIZED"},
		{name: "a token without the scope", method: "POST", path: "/v2/customers", body: `{"given_name":"Ada"}`, auth: "Bearer {readonly}", status: 403, code: "INSUFFICIENT_SCOPES"},

		// ListCustomers.
		{name: "list customers", method: "GET", path: "/v2/customers?limit=10&sort_field=CREATED_AT&sort_order=DESC&count=true", status: ok},
		{name: "list customers, a limit in words", method: "GET", path: "/v2/customers?limit=ten", specRefuses: true, status: bad, code: "EXPECTED_INTEGER"},
		{name: "list customers, an unknown sort field", method: "GET", path: "/v2/customers?sort_field=NAME", specRefuses: true, status: bad, code: "INVALID_ENUM_VALUE"},
		{name: "list customers, a count that is not a boolean", method: "GET", path: "/v2/customers?count=maybe", specRefuses: true, status: bad, code: "EXPECTED_BOOLEAN"},
		{name: "list customers, a limit of 0", method: "GET", path: "/v2/customers?limit=0", status: bad, code: "VALUE_TOO_LOW"},
		{name: "list customers, a forged cursor", method: "GET", path: "/v2/customers?cursor=forged", status: bad, code: "INVALID_CURSOR"},

		// CreateCustomer.
		{name: "create a customer", method: "POST", path: "/v2/customers", body: `{"idempotency_key":"conf-1","given_name":"Grace","family_name":"Hopper","email_address":"grace@example.com","phone_number":"+1 206-555-0101","address":{"address_line_1":"1 Main St","locality":"Arlington","country":"US"},"birthday":"12-09","reference_id":"ref-9","note":"admiral","nickname":"Amazing"}`, status: ok},
		{name: "create a customer again with the same key", method: "POST", path: "/v2/customers", body: `{"idempotency_key":"conf-1","given_name":"Grace","family_name":"Hopper","email_address":"grace@example.com","phone_number":"+1 206-555-0101","address":{"address_line_1":"1 Main St","locality":"Arlington","country":"US"},"birthday":"12-09","reference_id":"ref-9","note":"admiral","nickname":"Amazing"}`, status: ok},
		{name: "create a customer, the key reused for other data", method: "POST", path: "/v2/customers", body: `{"idempotency_key":"conf-1","given_name":"Other"}`, status: bad, code: "IDEMPOTENCY_KEY_REUSED"},
		{name: "create a customer without a name, email or phone", method: "POST", path: "/v2/customers", body: `{"note":"nobody"}`, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "create a customer, a number as given_name", method: "POST", path: "/v2/customers", body: `{"given_name":5}`, specRefuses: true, status: bad, code: "EXPECTED_STRING"},
		{name: "create a customer, an address as a string", method: "POST", path: "/v2/customers", body: `{"given_name":"Ada","address":"1 Main St"}`, specRefuses: true, status: bad, code: "EXPECTED_OBJECT"},
		{name: "create a customer, an unknown country", method: "POST", path: "/v2/customers", body: `{"given_name":"Ada","address":{"country":"XX"}}`, specRefuses: true, status: bad, code: "INVALID_ENUM_VALUE"},
		{name: "create a customer, a bad email", method: "POST", path: "/v2/customers", body: `{"email_address":"not-an-email"}`, status: bad, code: "INVALID_EMAIL_ADDRESS"},
		{name: "create a customer, a bad phone", method: "POST", path: "/v2/customers", body: `{"phone_number":"12"}`, status: bad, code: "INVALID_PHONE_NUMBER"},
		{name: "create a customer, a bad birthday", method: "POST", path: "/v2/customers", body: `{"given_name":"Ada","birthday":"13-45"}`, status: bad, code: "INVALID_TIME"},
		{name: "create a customer, a body that is not JSON", method: "POST", path: "/v2/customers", body: `{nope`, specRefuses: true, status: bad, code: "BAD_REQUEST"},

		// SearchCustomers.
		{name: "search customers", method: "POST", path: "/v2/customers/search", body: `{"limit":5,"count":true,"query":{"filter":{"email_address":{"fuzzy":"example"},"creation_source":{"values":["THIRD_PARTY"],"rule":"INCLUDE"}},"sort":{"field":"CREATED_AT","order":"ASC"}}}`, status: ok},
		{name: "search customers, nothing matches", method: "POST", path: "/v2/customers/search", body: `{"query":{"filter":{"reference_id":{"exact":"none"}}}}`, status: ok},
		{name: "search customers, an unknown sort field", method: "POST", path: "/v2/customers/search", body: `{"query":{"sort":{"field":"NAME"}}}`, specRefuses: true, status: bad, code: "INVALID_ENUM_VALUE"},
		{name: "search customers, a limit in words", method: "POST", path: "/v2/customers/search", body: `{"limit":"five"}`, specRefuses: true, status: bad, code: "EXPECTED_INTEGER"},
		{name: "search customers, a limit over 100", method: "POST", path: "/v2/customers/search", body: `{"limit":101}`, specRefuses: true, status: bad, code: "VALUE_TOO_HIGH"},
		{name: "search customers, an unknown segment", method: "POST", path: "/v2/customers/search", body: `{"query":{"filter":{"segment_ids":{"any":["NOPE.SEGMENT"]}}}}`, status: bad, code: "BAD_REQUEST"},

		// RetrieveCustomer and UpdateCustomer.
		{name: "retrieve a customer", method: "GET", path: "/v2/customers/{customer}", status: ok},
		{name: "retrieve an unknown customer", method: "GET", path: "/v2/customers/" + unknownID, status: none, code: "NOT_FOUND"},
		{name: "update a customer", method: "PUT", path: "/v2/customers/{customer}", body: `{"given_name":"Ada","note":null,"address":{"locality":"London","country":"GB"},"version":0}`, status: ok},
		{name: "update a customer at a stale version", method: "PUT", path: "/v2/customers/{customer}", body: `{"given_name":"Ada","version":0}`, status: bad, code: "VERSION_MISMATCH"},
		{name: "update a customer, a version in words", method: "PUT", path: "/v2/customers/{customer}", body: `{"version":"one"}`, specRefuses: true, status: bad, code: "EXPECTED_INTEGER"},
		{name: "update a customer, an address as a string", method: "PUT", path: "/v2/customers/{customer}", body: `{"address":"1 Main St"}`, specRefuses: true, status: bad, code: "EXPECTED_OBJECT"},
		{name: "update a customer, a name too long", method: "PUT", path: "/v2/customers/{customer}", body: `{"nickname":"` + strings.Repeat("n", 101) + `"}`, status: bad, code: "VALUE_TOO_LONG"},
		{name: "update an unknown customer", method: "PUT", path: "/v2/customers/" + unknownID, body: `{"given_name":"Ada"}`, status: none, code: "NOT_FOUND"},

		// BulkCreateCustomers and BulkUpdateCustomers.
		{name: "bulk-create customers, one of them invalid", method: "POST", path: "/v2/customers/bulk-create", body: `{"customers":{"bulk-1":{"given_name":"Marie","family_name":"Curie"},"bulk-2":{"email_address":"not-an-email"}}}`, status: ok},
		{name: "bulk-create customers without customers", method: "POST", path: "/v2/customers/bulk-create", body: `{}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "bulk-create customers, an empty map", method: "POST", path: "/v2/customers/bulk-create", body: `{"customers":{}}`, status: bad, code: "VALUE_EMPTY"},
		{name: "bulk-create customers, a list for the map", method: "POST", path: "/v2/customers/bulk-create", body: `{"customers":[{"given_name":"Ada"}]}`, specRefuses: true, status: bad, code: "EXPECTED_MAP"},
		{name: "bulk-update customers, one unknown and one stale", method: "POST", path: "/v2/customers/bulk-update", body: `{"customers":{"{customer}":{"nickname":"Countess","version":1},"{other}":{"note":"x","version":7},"` + unknownID + `":{"note":"x"}}}`, status: ok},
		{name: "bulk-update customers without customers", method: "POST", path: "/v2/customers/bulk-update", body: `{}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "bulk-update customers, a number for a name", method: "POST", path: "/v2/customers/bulk-update", body: `{"customers":{"{customer}":{"given_name":5}}}`, specRefuses: true, status: ok},

		// BulkRetrieveCustomers.
		{name: "bulk-retrieve customers", method: "POST", path: "/v2/customers/bulk-retrieve", body: `{"customer_ids":["{customer}","` + unknownID + `"]}`, status: ok},
		{name: "bulk-retrieve customers without ids", method: "POST", path: "/v2/customers/bulk-retrieve", body: `{}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "bulk-retrieve customers, ids as a string", method: "POST", path: "/v2/customers/bulk-retrieve", body: `{"customer_ids":"{customer}"}`, specRefuses: true, status: bad, code: "EXPECTED_ARRAY"},

		// Customer groups.
		{name: "list groups", method: "GET", path: "/v2/customers/groups?limit=1", status: ok},
		{name: "list groups, a limit over 50", method: "GET", path: "/v2/customers/groups?limit=51", status: bad, code: "VALUE_TOO_HIGH"},
		{name: "list groups, a limit in words", method: "GET", path: "/v2/customers/groups?limit=x", specRefuses: true, status: bad, code: "EXPECTED_INTEGER"},
		{name: "create a group", method: "POST", path: "/v2/customers/groups", body: `{"idempotency_key":"group-1","group":{"name":"Regulars"}}`, status: ok},
		{name: "create a group without a group", method: "POST", path: "/v2/customers/groups", body: `{}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "create a group without a name", method: "POST", path: "/v2/customers/groups", body: `{"group":{}}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "create a group, a number as name", method: "POST", path: "/v2/customers/groups", body: `{"group":{"name":1}}`, specRefuses: true, status: bad, code: "EXPECTED_STRING"},
		{name: "retrieve a group", method: "GET", path: "/v2/customers/groups/{group}", status: ok},
		{name: "retrieve an unknown group", method: "GET", path: "/v2/customers/groups/" + unknownID, status: none, code: "NOT_FOUND"},
		{name: "update a group", method: "PUT", path: "/v2/customers/groups/{group}", body: `{"group":{"name":"VIP"}}`, status: ok},
		{name: "update a group without a group", method: "PUT", path: "/v2/customers/groups/{group}", body: `{}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "update a group, a number as name", method: "PUT", path: "/v2/customers/groups/{group}", body: `{"group":{"name":2}}`, specRefuses: true, status: bad, code: "EXPECTED_STRING"},
		{name: "update an unknown group", method: "PUT", path: "/v2/customers/groups/" + unknownID, body: `{"group":{"name":"VIP"}}`, status: none, code: "NOT_FOUND"},
		{name: "add a customer to a group", method: "PUT", path: "/v2/customers/{customer}/groups/{group}", status: ok},
		{name: "add a customer to an unknown group", method: "PUT", path: "/v2/customers/{customer}/groups/" + unknownID, status: none, code: "NOT_FOUND"},
		{name: "add an unknown customer to a group", method: "PUT", path: "/v2/customers/" + unknownID + "/groups/{group}", status: none, code: "NOT_FOUND"},
		{name: "remove a customer from a group", method: "DELETE", path: "/v2/customers/{customer}/groups/{group}", status: ok},
		{name: "remove a customer from an unknown group", method: "DELETE", path: "/v2/customers/{customer}/groups/" + unknownID, status: none, code: "NOT_FOUND"},

		// Cards.
		{name: "create a card", method: "POST", path: "/v2/cards", body: `{"idempotency_key":"card-1","source_id":"{visa}","card":{"customer_id":"{customer}","cardholder_name":"Ada Lovelace","reference_id":"card-ref","billing_address":{"postal_code":"98101","country":"US"}}}`, status: ok},
		{name: "create a card without a source", method: "POST", path: "/v2/cards", body: `{"idempotency_key":"card-2","card":{"customer_id":"{customer}"}}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "create a card, a number as source", method: "POST", path: "/v2/cards", body: `{"idempotency_key":"card-3","source_id":42,"card":{"customer_id":"{customer}"}}`, specRefuses: true, status: bad, code: "EXPECTED_STRING"},
		{name: "create a card for an unknown customer", method: "POST", path: "/v2/cards", body: `{"idempotency_key":"card-4","source_id":"cnon:card-nonce-ok","card":{"customer_id":"` + unknownID + `"}}`, status: bad, code: "CUSTOMER_NOT_FOUND"},
		{name: "create a card, a declined card", method: "POST", path: "/v2/cards", body: `{"idempotency_key":"card-5","source_id":"cnon:card-nonce-declined","card":{"customer_id":"{customer}"}}`, status: bad, code: "INVALID_CARD_DATA"},
		{name: "create a card, its token used again", method: "POST", path: "/v2/cards", body: `{"idempotency_key":"card-6","source_id":"{visa}","card":{"customer_id":"{customer}"}}`, status: bad, code: "SOURCE_USED"},
		{name: "list cards", method: "GET", path: "/v2/cards?customer_id={customer}&include_disabled=true&sort_order=DESC", status: ok},
		{name: "list cards, none match", method: "GET", path: "/v2/cards?reference_id=none", status: ok},
		{name: "list cards, an unknown sort order", method: "GET", path: "/v2/cards?sort_order=UP", specRefuses: true, status: bad, code: "INVALID_ENUM_VALUE"},
		{name: "list cards, include_disabled not a boolean", method: "GET", path: "/v2/cards?include_disabled=maybe", specRefuses: true, status: bad, code: "EXPECTED_BOOLEAN"},
		{name: "retrieve a card", method: "GET", path: "/v2/cards/{card}", status: ok},
		{name: "retrieve an unknown card", method: "GET", path: "/v2/cards/ccof:" + unknownID, status: none, code: "NOT_FOUND"},
		{name: "disable a card", method: "POST", path: "/v2/cards/{card}/disable", status: ok},
		{name: "disable a card again", method: "POST", path: "/v2/cards/{card}/disable", status: ok},
		{name: "disable an unknown card", method: "POST", path: "/v2/cards/ccof:" + unknownID + "/disable", status: none, code: "NOT_FOUND"},
		{name: "create a customer card (deprecated)", method: "POST", path: "/v2/customers/{customer}/cards", body: `{"card_nonce":"cnon:card-nonce-ok","cardholder_name":"Ada Lovelace","billing_address":{"postal_code":"94103"}}`, status: ok},
		{name: "create a customer card without a nonce", method: "POST", path: "/v2/customers/{customer}/cards", body: `{"cardholder_name":"Ada"}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "create a card for an unknown customer (deprecated)", method: "POST", path: "/v2/customers/" + unknownID + "/cards", body: `{"card_nonce":"cnon:card-nonce-ok"}`, status: none, code: "NOT_FOUND"},
		{name: "delete a customer card (deprecated)", method: "DELETE", path: "/v2/customers/{customer}/cards/{oldcard}", status: ok},
		{name: "delete an unknown customer card", method: "DELETE", path: "/v2/customers/{customer}/cards/ccof:" + unknownID, status: none, code: "NOT_FOUND"},

		// Merchants and locations.
		{name: "list merchants", method: "GET", path: "/v2/merchants", status: ok},
		{name: "list merchants, a cursor in words", method: "GET", path: "/v2/merchants?cursor=next", specRefuses: true, status: bad, code: "EXPECTED_INTEGER"},
		{name: "retrieve the token's merchant", method: "GET", path: "/v2/merchants/me", status: ok},
		{name: "retrieve a merchant by id", method: "GET", path: "/v2/merchants/{merchant}", status: ok},
		{name: "retrieve another merchant", method: "GET", path: "/v2/merchants/{othermerchant}", status: none, code: "NOT_FOUND"},
		{name: "list locations", method: "GET", path: "/v2/locations", status: ok},
		{name: "list locations without the scope", method: "GET", path: "/v2/locations", auth: "Bearer {readonly}", status: 403, code: "INSUFFICIENT_SCOPES"},
		{name: "list merchants, an unknown cursor", method: "GET", path: "/v2/merchants?cursor=7", status: bad, code: "INVALID_CURSOR"},
		{name: "retrieve a location", method: "GET", path: "/v2/locations/{location}", status: ok},
		{name: "retrieve an unknown location", method: "GET", path: "/v2/locations/" + unknownID, status: none, code: "NOT_FOUND"},

		// OAuth.
		{name: "obtain a token for a code", method: "POST", path: "/oauth2/token", auth: "none", body: `{"client_id":"` + LocalClientID + `","client_secret":"` + LocalClientSecret + `","grant_type":"authorization_code","code":"{code}","redirect_uri":"` + testRedirect + `"}`, status: ok},
		{name: "obtain a token for a refresh token", method: "POST", path: "/oauth2/token", auth: "none", body: `{"client_id":"` + LocalClientID + `","client_secret":"` + LocalClientSecret + `","grant_type":"refresh_token","refresh_token":"{refresh}","scopes":["CUSTOMERS_READ"]}`, status: ok},
		{name: "obtain a token without a grant type", method: "POST", path: "/oauth2/token", auth: "none", body: `{"client_id":"` + LocalClientID + `"}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "obtain a token, a number as client id", method: "POST", path: "/oauth2/token", auth: "none", body: `{"client_id":7,"grant_type":"refresh_token"}`, specRefuses: true, status: bad, code: "EXPECTED_STRING"},
		{name: "obtain a token for a used code", method: "POST", path: "/oauth2/token", auth: "none", body: `{"client_id":"` + LocalClientID + `","client_secret":"` + LocalClientSecret + `","grant_type":"authorization_code","code":"{code}","redirect_uri":"` + testRedirect + `"}`, status: bad, code: "INVALID_VALUE"},
		{name: "token status", method: "POST", path: "/oauth2/token/status", status: ok},
		{name: "token status of an unknown token", method: "POST", path: "/oauth2/token/status", auth: "Bearer EAAAnope", status: 401, code: "UNAUTHORIZED"},
		{name: "revoke a token", method: "POST", path: "/oauth2/revoke", auth: "Client " + LocalClientSecret, body: `{"client_id":"` + LocalClientID + `","access_token":"{revocable}","revoke_only_access_token":true}`, status: ok},
		{name: "revoke without a client id", method: "POST", path: "/oauth2/revoke", auth: "Client " + LocalClientSecret, body: `{"access_token":"{revocable}"}`, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "revoke with the wrong secret", method: "POST", path: "/oauth2/revoke", auth: "Client wrong", body: `{"client_id":"` + LocalClientID + `","access_token":"{revocable}"}`, status: 401, code: "UNAUTHORIZED"},

		// Deletions last: they take away what the cases above use.
		{name: "delete a customer at a stale version", method: "DELETE", path: "/v2/customers/{other}?version=9", status: bad, code: "VERSION_MISMATCH"},
		{name: "delete a customer, a version in words", method: "DELETE", path: "/v2/customers/{other}?version=one", specRefuses: true, status: bad, code: "EXPECTED_INTEGER"},
		{name: "delete a customer", method: "DELETE", path: "/v2/customers/{other}?version=0", status: ok},
		{name: "delete an unknown customer", method: "DELETE", path: "/v2/customers/" + unknownID, status: none, code: "NOT_FOUND"},
		{name: "bulk-delete customers", method: "POST", path: "/v2/customers/bulk-delete", body: `{"customer_ids":["{third}","` + unknownID + `"]}`, status: ok},
		{name: "bulk-delete customers without ids", method: "POST", path: "/v2/customers/bulk-delete", body: `{}`, specRefuses: true, status: bad, code: "MISSING_REQUIRED_PARAMETER"},
		{name: "delete a group", method: "DELETE", path: "/v2/customers/groups/{group}", status: ok},
		{name: "delete an unknown group", method: "DELETE", path: "/v2/customers/groups/" + unknownID, status: none, code: "NOT_FOUND"},
	}
}

// conformanceIDs makes what the cases refer to and returns their names.
func conformanceIDs(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	ids := map[string]string{
		"merchant":      e.a.ID,
		"othermerchant": e.b.ID,
		"readonly":      e.s.MintAccessToken(e.a.ID, ScopeCustomersRead),
		"revocable":     e.s.MintAccessToken(e.a.ID),
		"visa":          visaToken(t, e.s),
		"code":          authorizeCode(t, e.s, e.a.ID),
	}
	ids["customer"] = e.create(t, e.tokA, map[string]any{"given_name": "Ada", "family_name": "Lovelace"}).ID
	ids["other"] = e.create(t, e.tokA, map[string]any{"given_name": "Charles"}).ID
	ids["third"] = e.create(t, e.tokA, map[string]any{"company_name": "Engines Ltd"}).ID
	status, out := e.do(t, "POST", "/v2/customers/groups", e.tokA, map[string]any{"group": map[string]any{"name": "Friends"}})
	if status != http.StatusOK {
		t.Fatalf("CreateCustomerGroup = %d %s, want 200", status, out)
	}
	ids["group"] = decodeAs[struct{ Group CustomerGroup }](t, out).Group.ID
	ids["card"] = mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), ids["customer"])).ID
	ids["oldcard"] = mustCreateCard(t, e, e.tokA, createCardBody("cnon:card-nonce-ok", ids["customer"])).ID
	ids["location"] = e.s.Merchants()[0].MainLocationID
	status, out = e.do(t, "POST", "/oauth2/token", "", codeBody(authorizeCode(t, e.s, e.a.ID)))
	if status != http.StatusOK {
		t.Fatalf("ObtainToken = %d %s, want 200", status, out)
	}
	ids["refresh"] = decodeAs[struct {
		RefreshToken string `json:"refresh_token"`
	}](t, out).RefreshToken
	return ids
}

// fill replaces the {name} placeholders of s with ids.
func fill(s string, ids map[string]string) string {
	for k, v := range ids {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func TestEveryOperationAnswersAsSquaresOpenAPIDocumentSays(t *testing.T) {
	t.Parallel()
	spec := squarespec.Load(t)
	e := newEnv(t, -1)
	ids := conformanceIDs(t, e)

	// For each operation: did a valid call succeed, did an invalid one fail?
	succeeded, failed := map[string]int{}, map[string]int{}
	for _, tc := range conformanceCases() {
		t.Run(tc.name, func(t *testing.T) {
			body := fill(tc.body, ids)
			req := httptest.NewRequest(tc.method, fill(tc.path, ids), strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			// Tessera pins this version; the document describes it.
			req.Header.Set("Square-Version", DefaultSquareVersion)
			switch tc.auth {
			case "":
				req.Header.Set("Authorization", "Bearer "+e.tokA)
			case "none":
			default:
				req.Header.Set("Authorization", fill(tc.auth, ids))
			}
			op, err := spec.Route(req)
			if err != nil {
				t.Fatal(err)
			}
			reqErr := spec.CheckRequest(req, []byte(body))
			switch {
			case tc.specRefuses && reqErr == nil:
				t.Errorf("CheckRequest(%s %s) = nil, want Square's document to refuse %s", tc.method, tc.path, body)
			case !tc.specRefuses && reqErr != nil:
				t.Errorf("CheckRequest(%s %s) = %s, want nil", tc.method, tc.path, squarespec.Short(reqErr))
			}

			rec := httptest.NewRecorder()
			e.s.ServeHTTP(rec, req)
			answer, _ := io.ReadAll(rec.Result().Body)
			if rec.Code != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, rec.Code, answer, tc.status)
			}
			if tc.code != "" {
				var got struct{ Errors []ErrorDetail }
				if err := json.Unmarshal(answer, &got); err != nil || len(got.Errors) == 0 || got.Errors[0].Code != tc.code {
					t.Errorf("%s %s = %s, want error code %s", tc.method, tc.path, answer, tc.code)
				}
			}
			if err := spec.CheckResponse(req, rec.Code, rec.Header(), answer); err != nil {
				t.Errorf("CheckResponse(%s %s) = %s\nanswer: %s", tc.method, tc.path, squarespec.Short(err), answer)
			}
			if rec.Code == http.StatusOK && !tc.specRefuses {
				succeeded[op.ID]++
			} else {
				failed[op.ID]++
			}
		})
	}

	// Every operation the emulator serves is covered both ways.
	served := servedOperations(t, spec, e.s)
	for _, op := range served {
		if succeeded[op] == 0 || failed[op] == 0 {
			t.Errorf("operation %s: %d successful and %d failing calls, want at least one of each", op, succeeded[op], failed[op])
		}
	}
	requests := 0
	for _, n := range succeeded {
		requests += n
	}
	for _, n := range failed {
		requests += n
	}
	t.Logf("%d operations served and covered, %d requests", len(served), requests)
}

// servedOperations lists the operations of Square's document that the
// emulator routes to a handler of its own, so that a route added to
// routes.go without conformance cases fails the test above.
func servedOperations(t *testing.T, spec *squarespec.Spec, s *Server) []string {
	t.Helper()
	var out []string
	for _, op := range spec.Operations() {
		req := httptest.NewRequest(op.Method, op.Path, nil)
		if _, pattern := s.mux.Handler(req); pattern == op.Method+" "+op.Path {
			out = append(out, op.ID)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatal("the emulator serves none of the document's operations")
	}
	return out
}
