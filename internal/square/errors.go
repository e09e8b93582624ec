package square

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Square's error categories and codes that this package interprets.
const (
	categoryAPI            = "API_ERROR"
	categoryAuthentication = "AUTHENTICATION_ERROR"
	categoryInvalidRequest = "INVALID_REQUEST_ERROR"
	categoryRateLimit      = "RATE_LIMIT_ERROR"
	// categoryV1 is what Square's SDKs call errors in the legacy
	// {"message","type"} shape that /oauth2 endpoints still return.
	categoryV1 = "V1_ERROR"

	codeUnparseable = "UNPARSEABLE_RESPONSE"
)

// ErrorDetail is one entry of Square's "errors" array.
type ErrorDetail struct {
	// Category is the broad class, e.g. INVALID_REQUEST_ERROR.
	Category string `json:"category"`
	// Code is the specific error, e.g. NOT_FOUND or INVALID_EMAIL_ADDRESS.
	Code string `json:"code"`
	// Detail is a human-readable explanation for developers. It belongs in
	// logs, never in a page.
	Detail string `json:"detail,omitempty"`
	// Field names the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
}

// Error is a failed call to Square: a non-2xx response, or one failed item of
// a bulk call. Use errors.As to get at it, or the Is* predicates.
type Error struct {
	// StatusCode is the HTTP status; it is 0 for an item of a bulk response,
	// which Square reports inside a 200.
	StatusCode int
	// Method and Path identify the request (without its query string).
	Method string
	Path   string
	// Errors are all the errors Square reported; never empty.
	Errors []ErrorDetail
	// Category, Code, Detail and Field repeat Errors[0], which Square says
	// decides the status code.
	Category string
	Code     string
	Detail   string
	Field    string
	// RetryAfter is the wait the server asked for in a Retry-After header,
	// or 0 when it sent none.
	RetryAfter time.Duration
}

// newError builds an Error whose convenience fields mirror details[0].
func newError(status int, details []ErrorDetail) *Error {
	e := &Error{StatusCode: status, Errors: details}
	if len(details) > 0 {
		first := details[0]
		e.Category, e.Code, e.Detail, e.Field = first.Category, first.Code, first.Detail, first.Field
	}
	return e
}

// Error describes the failure for logs: request, status, code and field.
// It leaves out Square's detail, which can repeat what was sent (an email
// address, a phone number) and so must not reach the logs; the Detail
// field still has it for code that needs it.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("square: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d ", e.StatusCode)
	}
	b.WriteString(e.Code)
	if e.Field != "" {
		fmt.Fprintf(&b, " (field %s)", e.Field)
	}
	if n := len(e.Errors); n > 1 {
		fmt.Fprintf(&b, " (and %d more)", n-1)
	}
	return b.String()
}

// LogValue is the error as structured log attributes: the request, the
// status, and each error's category, code and field, without Square's
// detail (see Error).
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("msg", e.Error())}
	if e.StatusCode != 0 {
		attrs = append(attrs, slog.Int("status", e.StatusCode))
	}
	attrs = append(attrs, slog.String("code", e.Code))
	if e.Field != "" {
		attrs = append(attrs, slog.String("field", e.Field))
	}
	return slog.GroupValue(attrs...)
}

// redact removes every secret from the text Square sent back, in case a
// server or proxy echoes a token or the client secret in an error message.
func (e *Error) redact(secrets []string) {
	clean := func(s string) string {
		for _, secret := range secrets {
			if secret != "" {
				s = strings.ReplaceAll(s, secret, "[REDACTED]")
			}
		}
		return s
	}
	for i := range e.Errors {
		e.Errors[i].Detail = clean(e.Errors[i].Detail)
		e.Errors[i].Field = clean(e.Errors[i].Field)
	}
	e.Detail = clean(e.Detail)
	e.Field = clean(e.Field)
}

// hasCode reports whether any of e's errors has one of codes.
func (e *Error) hasCode(codes ...string) bool {
	if slices.Contains(codes, e.Code) {
		return true
	}
	for _, d := range e.Errors {
		if slices.Contains(codes, d.Code) {
			return true
		}
	}
	return false
}

// hasCategory reports whether any of e's errors is in category.
func (e *Error) hasCategory(category string) bool {
	if e.Category == category {
		return true
	}
	for _, d := range e.Errors {
		if d.Category == category {
			return true
		}
	}
	return false
}

// decodeError reads an error response body. It accepts Square's
// {"errors":[...]} shape and the legacy OAuth {"message","type"} shape, and
// still returns a usable *Error for an empty or unparseable body, with a code
// derived from the status.
func decodeError(status int, header http.Header, body []byte, now time.Time) *Error {
	var wire struct {
		Errors  []ErrorDetail `json:"errors"`
		Message string        `json:"message"`
		Type    string        `json:"type"`
	}
	var e *Error
	switch err := json.Unmarshal(body, &wire); {
	case err == nil && len(wire.Errors) > 0:
		e = newError(status, wire.Errors)
	case err == nil && (wire.Type != "" || wire.Message != ""):
		e = newError(status, []ErrorDetail{{Category: categoryV1, Code: wire.Type, Detail: wire.Message}})
	default:
		detail := fmt.Sprintf("HTTP %d with an error body Square's formats do not describe (%d bytes)", status, len(body))
		if len(body) == 0 {
			detail = fmt.Sprintf("HTTP %d with an empty body", status)
		}
		e = newError(status, []ErrorDetail{{Category: categoryForStatus(status), Code: codeForStatus(status), Detail: detail}})
	}
	if d, ok := parseRetryAfter(header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	return e
}

// categoryForStatus guesses Square's category for a body that named none.
func categoryForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return categoryAuthentication
	case status == http.StatusTooManyRequests:
		return categoryRateLimit
	case status >= 400 && status <= 499:
		return categoryInvalidRequest
	default:
		return categoryAPI
	}
}

// codeForStatus picks the generic Square code for a status, so that callers
// switching on Code see the same value whether or not the body was readable.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BAD_REQUEST"
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "FORBIDDEN"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusMethodNotAllowed:
		return "METHOD_NOT_ALLOWED"
	case http.StatusNotAcceptable:
		return "NOT_ACCEPTABLE"
	case http.StatusRequestTimeout:
		return "REQUEST_TIMEOUT"
	case http.StatusConflict:
		return "CONFLICT"
	case http.StatusGone:
		return "GONE"
	case http.StatusRequestEntityTooLarge:
		return "REQUEST_ENTITY_TOO_LARGE"
	case http.StatusUnsupportedMediaType:
		return "UNSUPPORTED_MEDIA_TYPE"
	case http.StatusUnprocessableEntity:
		return "UNPROCESSABLE_ENTITY"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case http.StatusInternalServerError:
		return "INTERNAL_SERVER_ERROR"
	case http.StatusNotImplemented:
		return "NOT_IMPLEMENTED"
	case http.StatusBadGateway:
		return "BAD_GATEWAY"
	case http.StatusServiceUnavailable:
		return "SERVICE_UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "GATEWAY_TIMEOUT"
	default:
		return codeUnparseable
	}
}

// asError finds the *Error in err's chain.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether err means the resource does not exist (or is
// not visible to this merchant).
func IsNotFound(err error) bool {
	e, ok := asError(err)
	return ok && (e.StatusCode == http.StatusNotFound || e.hasCode("NOT_FOUND"))
}

// IsVersionMismatch reports whether err means the object changed since the
// version the caller sent. Square does not document one code for this, so
// VERSION_MISMATCH, 409 CONFLICT and any 4xx whose code or detail speaks of a
// version mismatch all count.
func IsVersionMismatch(err error) bool {
	e, ok := asError(err)
	if !ok {
		return false
	}
	if e.StatusCode == http.StatusConflict || e.hasCode("VERSION_MISMATCH", "CONFLICT") {
		return true
	}
	if e.StatusCode < 400 || e.StatusCode > 499 {
		return false
	}
	for _, d := range e.Errors {
		if mentionsVersionMismatch(d.Code) || mentionsVersionMismatch(d.Detail) {
			return true
		}
	}
	return false
}

// mentionsVersionMismatch reports whether s talks about an object version
// not matching, as opposed to a malformed Square-Version header.
func mentionsVersionMismatch(s string) bool {
	s = strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(s))
	if !strings.Contains(s, "version") || strings.Contains(s, "square version") || strings.Contains(s, "api version") {
		return false
	}
	return strings.Contains(s, "mismatch") || strings.Contains(s, "does not match") || strings.Contains(s, "stale")
}

// IsRateLimited reports whether Square refused the call for going too fast.
func IsRateLimited(err error) bool {
	e, ok := asError(err)
	return ok && (e.StatusCode == http.StatusTooManyRequests ||
		e.hasCode("RATE_LIMITED", "too_many_requests") || e.hasCategory(categoryRateLimit))
}

// IsAuth reports whether err means the access token (or the application's
// credentials) is missing, invalid, expired, revoked or lacks a scope: the
// user has to sign in again.
func IsAuth(err error) bool {
	e, ok := asError(err)
	return ok && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
		e.hasCategory(categoryAuthentication) ||
		e.hasCode("UNAUTHORIZED", "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_REVOKED",
			"INSUFFICIENT_SCOPES", "FORBIDDEN", "service.not_authorized"))
}

// IsIdempotencyKeyReused reports whether an idempotency key was sent again
// with a different request body.
func IsIdempotencyKeyReused(err error) bool {
	e, ok := asError(err)
	return ok && e.hasCode("IDEMPOTENCY_KEY_REUSED")
}

// IsServerError reports whether Square failed on its side (5xx).
func IsServerError(err error) bool {
	e, ok := asError(err)
	return ok && e.StatusCode >= 500 && e.StatusCode <= 599
}

// IsInvalidRequest reports whether Square rejected the request's content
// (400 INVALID_REQUEST_ERROR): something the user can correct. Check
// IsVersionMismatch first; a stale version is also a 400 of this category.
func IsInvalidRequest(err error) bool {
	e, ok := asError(err)
	return ok && e.StatusCode == http.StatusBadRequest && e.hasCategory(categoryInvalidRequest)
}

// IsError reports whether err is an answer from Square (an *Error in its
// chain), as opposed to a failure to reach Square at all.
func IsError(err error) bool {
	_, ok := asError(err)
	return ok
}

// IsUnavailable reports whether Square answered 503: it cannot take
// requests right now, and did nothing.
func IsUnavailable(err error) bool {
	e, ok := asError(err)
	return ok && e.StatusCode == http.StatusServiceUnavailable
}

// IsRefused reports whether Square refused the request for a reason of the
// request itself (a 4xx other than an ended authorization and a rate
// limit): nothing was done, and a try with other details may work.
func IsRefused(err error) bool {
	e, ok := asError(err)
	return ok && e.StatusCode >= 400 && e.StatusCode <= 499 && !IsAuth(err) && !IsRateLimited(err)
}

// OutcomeUnknown reports whether a failed write may have happened anyway:
// no answer came (a dropped connection, a timeout), or Square failed in a
// way that does not say the write was refused. 429 and 503 refuse it, and
// so does every 4xx.
func OutcomeUnknown(err error) bool {
	if err == nil {
		return false
	}
	e, ok := asError(err)
	if !ok {
		return true
	}
	switch e.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RetryAfter is the wait Square asked for in a Retry-After header of the
// answer in err, or 0 when it asked none.
func RetryAfter(err error) time.Duration {
	if e, ok := asError(err); ok {
		return e.RetryAfter
	}
	return 0
}

// ErrorCode is the code of Square's first error in err, or "".
func ErrorCode(err error) string {
	if e, ok := asError(err); ok {
		return e.Code
	}
	return ""
}

// ErrorField is the request field Square's first error in err blames, or "".
func ErrorField(err error) string {
	if e, ok := asError(err); ok {
		return e.Field
	}
	return ""
}

// ErrorDetails are all the errors Square reported in err, or nil when err
// is not Square's answer.
func ErrorDetails(err error) []ErrorDetail {
	if e, ok := asError(err); ok {
		return e.Errors
	}
	return nil
}
