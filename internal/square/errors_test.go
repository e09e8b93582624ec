package square

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   *Error
	}{
		{
			name:   "Square's errors array is decoded and its first entry repeated",
			status: 400,
			body:   `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"INVALID_EMAIL_ADDRESS","detail":"Invalid email.","field":"email_address"},{"category":"INVALID_REQUEST_ERROR","code":"VALUE_TOO_LONG","field":"note"}]}`,
			want: &Error{
				StatusCode: 400,
				Errors: []ErrorDetail{
					{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_EMAIL_ADDRESS", Detail: "Invalid email.", Field: "email_address"},
					{Category: "INVALID_REQUEST_ERROR", Code: "VALUE_TOO_LONG", Field: "note"},
				},
				Category: "INVALID_REQUEST_ERROR", Code: "INVALID_EMAIL_ADDRESS", Detail: "Invalid email.", Field: "email_address",
			},
		},
		{
			name:   "the legacy OAuth shape becomes a V1_ERROR",
			status: 401,
			body:   `{"message":"Not Authorized","type":"service.not_authorized"}`,
			want: &Error{
				StatusCode: 401,
				Errors:     []ErrorDetail{{Category: "V1_ERROR", Code: "service.not_authorized", Detail: "Not Authorized"}},
				Category:   "V1_ERROR", Code: "service.not_authorized", Detail: "Not Authorized",
			},
		},
		{
			name:   "an empty body gets the status's generic code",
			status: 404,
			body:   "",
			want: &Error{
				StatusCode: 404,
				Errors:     []ErrorDetail{{Category: "INVALID_REQUEST_ERROR", Code: "NOT_FOUND", Detail: "HTTP 404 with an empty body"}},
				Category:   "INVALID_REQUEST_ERROR", Code: "NOT_FOUND", Detail: "HTTP 404 with an empty body",
			},
		},
		{
			name:   "an HTML page from a proxy gets the status's generic code",
			status: 502,
			body:   "<html><body>Bad gateway</body></html>",
			want: &Error{
				StatusCode: 502,
				Errors:     []ErrorDetail{{Category: "API_ERROR", Code: "BAD_GATEWAY", Detail: "HTTP 502 with an error body Square's formats do not describe (37 bytes)"}},
				Category:   "API_ERROR", Code: "BAD_GATEWAY", Detail: "HTTP 502 with an error body Square's formats do not describe (37 bytes)",
			},
		},
		{
			name:   "malformed JSON with an unusual status is UNPARSEABLE_RESPONSE",
			status: 418,
			body:   `{"errors":"teapot"}`,
			want: &Error{
				StatusCode: 418,
				Errors:     []ErrorDetail{{Category: "INVALID_REQUEST_ERROR", Code: "UNPARSEABLE_RESPONSE", Detail: "HTTP 418 with an error body Square's formats do not describe (19 bytes)"}},
				Category:   "INVALID_REQUEST_ERROR", Code: "UNPARSEABLE_RESPONSE", Detail: "HTTP 418 with an error body Square's formats do not describe (19 bytes)",
			},
		},
		{
			name:   "a Retry-After header is kept",
			status: 429,
			header: http.Header{"Retry-After": {"2"}},
			body:   `{"errors":[{"category":"RATE_LIMIT_ERROR","code":"RATE_LIMITED"}]}`,
			want: &Error{
				StatusCode: 429,
				Errors:     []ErrorDetail{{Category: "RATE_LIMIT_ERROR", Code: "RATE_LIMITED"}},
				Category:   "RATE_LIMIT_ERROR", Code: "RATE_LIMITED",
				RetryAfter: 2 * time.Second,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeError(tt.status, tt.header, []byte(tt.body), time.Now())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeError(%d, %q) = %+v, want %+v", tt.status, tt.body, got, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			// Square's detail can repeat what was sent, an email address
			// or a phone number, so it stays out of the text that is logged.
			name: "status, code and field are shown, and Square's detail is not",
			err: &Error{Method: "POST", Path: "/v2/customers", StatusCode: 400, Code: "INVALID_EMAIL_ADDRESS", Field: "email_address",
				Detail: "Invalid email: ada@example.com.", Errors: []ErrorDetail{{Code: "INVALID_EMAIL_ADDRESS"}}},
			want: "square: POST /v2/customers: 400 INVALID_EMAIL_ADDRESS (field email_address)",
		},
		{
			name: "further errors are counted",
			err:  &Error{Method: "GET", Path: "/v2/customers/C1", StatusCode: 404, Code: "NOT_FOUND", Errors: []ErrorDetail{{Code: "NOT_FOUND"}, {Code: "X"}, {Code: "Y"}}},
			want: "square: GET /v2/customers/C1: 404 NOT_FOUND (and 2 more)",
		},
		{
			name: "a bulk item has no status",
			err:  &Error{Method: "POST", Path: "/v2/customers/bulk-delete", Code: "NOT_FOUND", Errors: []ErrorDetail{{Code: "NOT_FOUND"}}},
			want: "square: POST /v2/customers/bulk-delete: NOT_FOUND",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("x", slog.Any("err", tt.err))
			if tt.err.Detail != "" && strings.Contains(buf.String(), tt.err.Detail) {
				t.Errorf("logged %q, want no Square detail in it", buf.String())
			}
		})
	}
}

func TestPredicates(t *testing.T) {
	t.Parallel()
	sq := func(status int, category, code, detail string) error {
		e := newError(status, []ErrorDetail{{Category: category, Code: code, Detail: detail}})
		// Callers usually see the error wrapped once more.
		return fmt.Errorf("handler: %w", e)
	}
	type want struct{ notFound, version, rate, auth, reused, server, invalid bool }
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"a 404 NOT_FOUND is not found", sq(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", "Customer with ID `X` not found."), want{notFound: true}},
		{"a bulk item NOT_FOUND is not found", newError(0, []ErrorDetail{{Code: "NOT_FOUND"}}), want{notFound: true}},
		{"a 400 VERSION_MISMATCH is a version mismatch", sq(400, "INVALID_REQUEST_ERROR", "VERSION_MISMATCH", ""), want{version: true, invalid: true}},
		{"a 409 CONFLICT is a version mismatch", sq(409, "INVALID_REQUEST_ERROR", "CONFLICT", ""), want{version: true}},
		{"a 400 whose detail says version mismatch is one", sq(400, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "Version Mismatch: expected 4"), want{version: true, invalid: true}},
		{"a 400 saying the version does not match is one", sq(400, "INVALID_REQUEST_ERROR", "BAD_REQUEST", "Object version does not match latest database version."), want{version: true, invalid: true}},
		{"a 412 with a stale-version code is one", sq(412, "INVALID_REQUEST_ERROR", "STALE_VERSION", ""), want{version: true}},
		{"a bad Square-Version header is not a version mismatch", sq(400, "INVALID_REQUEST_ERROR", "INVALID_SQUARE_VERSION_FORMAT", "The Square-Version header does not match YYYY-MM-DD."), want{invalid: true}},
		{"a 5xx mentioning a version mismatch is not one", sq(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "version mismatch in replica"), want{server: true}},
		{"a 429 is rate limited", sq(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", ""), want{rate: true}},
		{"a legacy too_many_requests is rate limited", sq(400, "V1_ERROR", "too_many_requests", "This request was rate limited."), want{rate: true}},
		{"a 401 UNAUTHORIZED is auth", sq(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", ""), want{auth: true}},
		{"an expired token is auth", sq(401, "AUTHENTICATION_ERROR", "ACCESS_TOKEN_EXPIRED", ""), want{auth: true}},
		{"a revoked token is auth", sq(401, "AUTHENTICATION_ERROR", "ACCESS_TOKEN_REVOKED", ""), want{auth: true}},
		{"a missing scope is auth", sq(403, "AUTHENTICATION_ERROR", "INSUFFICIENT_SCOPES", ""), want{auth: true}},
		{"a 403 FORBIDDEN is auth", sq(403, "AUTHENTICATION_ERROR", "FORBIDDEN", ""), want{auth: true}},
		{"a legacy not-authorized body is auth", sq(400, "V1_ERROR", "service.not_authorized", "Not Authorized"), want{auth: true}},
		{"a reused idempotency key is reported", sq(400, "INVALID_REQUEST_ERROR", "IDEMPOTENCY_KEY_REUSED", ""), want{reused: true, invalid: true}},
		{"a 500 is a server error", sq(500, "API_ERROR", "INTERNAL_SERVER_ERROR", ""), want{server: true}},
		{"a 503 is a server error", sq(503, "API_ERROR", "SERVICE_UNAVAILABLE", ""), want{server: true}},
		{"a 400 field error is an invalid request", sq(400, "INVALID_REQUEST_ERROR", "INVALID_PHONE_NUMBER", ""), want{invalid: true}},
		{"a card decline is not an invalid request", sq(400, "PAYMENT_METHOD_ERROR", "CARD_DECLINED", ""), want{}},
		{"a network error matches nothing", errors.New("dial tcp: connection refused"), want{}},
		{"nil matches nothing", nil, want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := want{
				notFound: IsNotFound(tt.err),
				version:  IsVersionMismatch(tt.err),
				rate:     IsRateLimited(tt.err),
				auth:     IsAuth(tt.err),
				reused:   IsIdempotencyKeyReused(tt.err),
				server:   IsServerError(tt.err),
				invalid:  IsInvalidRequest(tt.err),
			}
			if got != tt.want {
				t.Errorf("predicates(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
		})
	}
}

// fieldCodes maps each field Square blamed to the code of its first error.
func fieldCodes(err error) map[string]string {
	var fields map[string]string
	for _, d := range ErrorDetails(err) {
		if d.Field == "" {
			continue
		}
		if fields == nil {
			fields = map[string]string{}
		}
		if _, seen := fields[d.Field]; !seen {
			fields[d.Field] = d.Code
		}
	}
	return fields
}

func TestErrorDetailsAreEveryErrorSquareReported(t *testing.T) {
	t.Parallel()
	multi := newError(400, []ErrorDetail{
		{Code: "INVALID_EMAIL_ADDRESS", Field: "email_address"},
		{Code: "VALUE_TOO_LONG", Field: "email_address"},
		{Code: "INVALID_PHONE_NUMBER", Field: "phone_number"},
		{Code: "BAD_REQUEST"},
	})
	tests := []struct {
		name string
		err  error
		want map[string]string
	}{
		{"each field gets the code of its first error", fmt.Errorf("wrapped: %w", multi), map[string]string{"email_address": "INVALID_EMAIL_ADDRESS", "phone_number": "INVALID_PHONE_NUMBER"}},
		{"an error without fields gives none", newError(404, []ErrorDetail{{Code: "NOT_FOUND"}}), nil},
		{"a non-Square error gives none", errors.New("boom"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldCodes(tt.err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ErrorDetails(%v) by field = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if got := len(ErrorDetails(multi)); got != 4 {
		t.Errorf("len(ErrorDetails(4 errors)) = %d, want 4", got)
	}
}

func TestErrorResponsesThroughTheClient(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name       string
		path       string
		status     int
		body       string
		call       func(c *Client) error
		check      func(error) bool
		wantFields map[string]string
	}{
		{
			name:   "a 400 on a field is an invalid request naming the field",
			path:   "/v2/customers",
			status: 400,
			body:   `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"INVALID_EMAIL_ADDRESS","detail":"Invalid email","field":"email_address"}]}`,
			call: func(c *Client) error {
				_, err := c.Customers.Create(ctx, &CreateCustomerRequest{EmailAddress: "x"})
				return err
			},
			check:      IsInvalidRequest,
			wantFields: map[string]string{"email_address": "INVALID_EMAIL_ADDRESS"},
		},
		{
			name:   "a 401 is an auth error",
			path:   "/v2/customers/C1",
			status: 401,
			body:   `{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED","detail":"This request could not be authorized."}]}`,
			call:   func(c *Client) error { _, err := c.Customers.Get(ctx, "C1"); return err },
			check:  IsAuth,
		},
		{
			name:   "a 403 is an auth error",
			path:   "/v2/cards",
			status: 403,
			body:   `{"errors":[{"category":"AUTHENTICATION_ERROR","code":"INSUFFICIENT_SCOPES"}]}`,
			call:   func(c *Client) error { _, err := c.Cards.List(ctx, nil); return err },
			check:  IsAuth,
		},
		{
			name:   "a 404 is not found",
			path:   "/v2/customers/C1",
			status: 404,
			body:   "{\"errors\":[{\"category\":\"INVALID_REQUEST_ERROR\",\"code\":\"NOT_FOUND\",\"detail\":\"Customer with ID `C1` not found.\"}]}",
			call:   func(c *Client) error { _, err := c.Customers.Get(ctx, "C1"); return err },
			check:  IsNotFound,
		},
		{
			name:   "a 409 CONFLICT on update is a version mismatch",
			path:   "/v2/customers/C1",
			status: 409,
			body:   `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"CONFLICT"}]}`,
			call: func(c *Client) error {
				_, err := c.Customers.Update(ctx, "C1", &UpdateCustomerRequest{Note: Set("n"), Version: new(int64(2))})
				return err
			},
			check: IsVersionMismatch,
		},
		{
			name:       "a 400 VERSION_MISMATCH on delete is a version mismatch",
			path:       "/v2/customers/C1",
			status:     400,
			body:       `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"VERSION_MISMATCH","field":"version"}]}`,
			call:       func(c *Client) error { return c.Customers.Delete(ctx, "C1", new(int64(2))) },
			check:      IsVersionMismatch,
			wantFields: map[string]string{"version": "VERSION_MISMATCH"},
		},
		{
			name:   "a legacy OAuth body is an auth error",
			path:   "/oauth2/token",
			status: 401,
			body:   `{"message":"Not Authorized","type":"service.not_authorized"}`,
			call:   func(c *Client) error { _, err := c.OAuth.ExchangeCode(ctx, "sq0cgb-code", "", ""); return err },
			check:  IsAuth,
		},
		{
			name:   "an empty 500 is a server error",
			path:   "/v2/merchants/me",
			status: 500,
			body:   "",
			call:   func(c *Client) error { _, err := c.Merchants.Get(ctx, "me"); return err },
			check:  IsServerError,
		},
		{
			name:   "malformed JSON in a 404 is still not found",
			path:   "/v2/customers/C1",
			status: 404,
			body:   `{"errors":[`,
			call:   func(c *Client) error { _, err := c.Customers.Get(ctx, "C1"); return err },
			check:  IsNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc(tt.path, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			err := tt.call(env.client)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("call error = %#v, want an *Error", err)
			}
			if e.StatusCode != tt.status {
				t.Errorf("Error.StatusCode = %d, want %d", e.StatusCode, tt.status)
			}
			if !tt.check(err) {
				t.Errorf("call error = %v, want one the predicate accepts", err)
			}
			if got := fieldCodes(err); !reflect.DeepEqual(got, tt.wantFields) {
				t.Errorf("ErrorDetails(%v) by field = %v, want %v", err, got, tt.wantFields)
			}
		})
	}
}

func TestErrorsNeverShowSecrets(t *testing.T) {
	t.Parallel()
	env := setup(t)
	// A misbehaving server echoes everything it got into the error detail.
	echo := func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED","detail":%q}]}`,
			r.Header.Get("Authorization")+" "+string(b[:n]))
	}
	env.mux.HandleFunc("/v2/customers/C1", echo)
	env.mux.HandleFunc("/oauth2/token", echo)
	env.mux.HandleFunc("/oauth2/revoke", echo)
	ctx := t.Context()
	calls := map[string]func() error{
		"Customers.Get": func() error { _, err := env.client.Customers.Get(ctx, "C1"); return err },
		"OAuth.RefreshToken": func() error {
			_, err := env.client.OAuth.RefreshToken(ctx, "EQAAsecret-refresh-token", false)
			return err
		},
		"OAuth.RevokeToken": func() error { return env.client.OAuth.RevokeToken(ctx, "EAAAother-access-token", true) },
	}
	for name, call := range calls {
		err := call()
		if err == nil {
			t.Fatalf("%s() error = nil, want the 401", name)
		}
		// The detail is not in the error's text, but code that reads it
		// must not find a secret there either.
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("%s() error = %v, want a *square.Error", name, err)
		}
		text := err.Error() + " " + se.Detail + " " + se.Field
		for _, d := range se.Errors {
			text += " " + d.Detail + " " + d.Field
		}
		for _, secret := range []string{testToken, testClientSecret, "EQAAsecret-refresh-token", "EAAAother-access-token"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s() error = %q, want no %q in it", name, text, secret)
			}
		}
		if !strings.Contains(se.Detail, "[REDACTED]") {
			t.Errorf("%s() detail = %q, want the echoed secret replaced by [REDACTED]", name, se.Detail)
		}
	}
}

func FuzzDecodeError(f *testing.F) {
	seeds := []struct {
		status int
		body   string
		retry  string
	}{
		{400, `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"VERSION_MISMATCH","field":"version"}]}`, ""},
		{401, `{"message":"Not Authorized","type":"service.not_authorized"}`, ""},
		{429, `{"errors":[{"category":"RATE_LIMIT_ERROR","code":"RATE_LIMITED"}]}`, "3"},
		{503, `<html>down</html>`, "Wed, 21 Oct 2015 07:28:00 GMT"},
		{404, ``, ""},
		{500, `null`, ""},
		{400, `{"errors":[]}`, "-5"},
		{409, `{"errors":[{}],"message":"x"}`, ""},
		{418, `{"errors":"x"}`, "soon"},
		{400, `[1,2,3]`, ""},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), s.retry)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		e := decodeError(status, http.Header{"Retry-After": {retryAfter}}, body, time.Now())
		if e == nil {
			t.Fatalf("decodeError(%d, %q) = nil, want an *Error", status, body)
		}
		if e.StatusCode != status {
			t.Errorf("decodeError(%d, %q).StatusCode = %d, want %d", status, body, e.StatusCode, status)
		}
		if len(e.Errors) == 0 || e.Code != e.Errors[0].Code || e.Category != e.Errors[0].Category {
			t.Errorf("decodeError(%d, %q) = %+v, want at least one error mirrored in the convenience fields", status, body, e)
		}
		if e.RetryAfter < 0 {
			t.Errorf("decodeError(%d, %q).RetryAfter = %v, want >= 0", status, body, e.RetryAfter)
		}
		_ = e.Error()
		_ = ErrorDetails(e)
		_ = IsVersionMismatch(e)
	})
}
