package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

func TestRunParallelRunsEveryFunctionAtOnce(t *testing.T) {
	// Each function waits until all have started. Run one after another,
	// the first would wait for the others forever; the deadline only turns
	// that hang into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const n = 3
	started := make(chan struct{}, n)
	all := make(chan struct{})
	met := make([]bool, n)
	fns := make([]func(), n)
	for i := range fns {
		fns[i] = func() {
			started <- struct{}{}
			select {
			case <-all:
				met[i] = true
			case <-ctx.Done():
			}
		}
	}
	go func() {
		for range n {
			select {
			case <-started:
			case <-ctx.Done():
				return
			}
		}
		close(all)
	}()
	runParallel(fns...)
	for i, ok := range met {
		if !ok {
			t.Errorf("runParallel: function %d never ran alongside the others", i)
		}
	}
}

// squareError builds the error Square's client returns for a 400.
func squareError(details ...square.ErrorDetail) *square.Error {
	e := &square.Error{StatusCode: http.StatusBadRequest, Errors: details}
	e.Category, e.Code, e.Field = details[0].Category, details[0].Code, details[0].Field
	return e
}

func TestSquareFormErrorsPutsSquaresMessagesBesideTheFields(t *testing.T) {
	inputs := customerInputs(true)
	invalid := func(code, field string) square.ErrorDetail {
		return square.ErrorDetail{Category: "INVALID_REQUEST_ERROR", Code: code, Field: field, Detail: "secret detail"}
	}
	tests := []struct {
		name        string
		err         error
		wantInputs  map[string]string
		wantGeneral []string
	}{
		{
			name:       "an invalid email address is shown beside the email",
			err:        squareError(invalid("INVALID_EMAIL_ADDRESS", "email_address")),
			wantInputs: map[string]string{views.CustomerEmailAddress: msgEmail},
		},
		{
			name:       "an invalid phone number is shown beside the phone",
			err:        squareError(invalid("INVALID_PHONE_NUMBER", "phone_number")),
			wantInputs: map[string]string{views.CustomerPhoneNumber: msgPhone},
		},
		{
			name:       "a bad birthday is shown beside its month",
			err:        squareError(invalid("INVALID_TIME", "birthday")),
			wantInputs: map[string]string{views.CustomerBirthdayMonth: msgBirthdayDate},
		},
		{
			name:       "an over-long address line says Square's limit",
			err:        squareError(invalid("VALUE_TOO_LONG", "address.address_line_1")),
			wantInputs: map[string]string{views.CustomerAddressLine1: "Address line 1 is longer than Square allows. Shorten it."},
		},
		{
			name:       "an unknown country is shown beside the country",
			err:        squareError(invalid("INVALID_ENUM_VALUE", "address.country")),
			wantInputs: map[string]string{views.CustomerCountry: msgCountry},
		},
		{
			name:       "a bad VAT number is shown beside it",
			err:        squareError(invalid("INVALID_VALUE", "tax_ids.eu_vat")),
			wantInputs: map[string]string{views.CustomerEUVat: msgVAT},
		},
		{
			name: "several fields each get their message, the first per field",
			err: squareError(invalid("VALUE_TOO_LONG", "given_name"), invalid("INVALID_EMAIL_ADDRESS", "email_address"),
				invalid("VALUE_TOO_LONG", "given_name")),
			wantInputs: map[string]string{
				views.CustomerGivenName:    "First name is longer than Square allows. Shorten it.",
				views.CustomerEmailAddress: msgEmail,
			},
		},
		{
			name:       "a missing identifying field points at the first name",
			err:        squareError(invalid("MISSING_REQUIRED_PARAMETER", "")),
			wantInputs: map[string]string{views.CustomerGivenName: msgNeedOneIdentifier},
		},
		{
			name:        "a field the form does not have becomes a message for the whole form",
			err:         squareError(invalid("VALUE_TOO_LONG", "address.address_line_3")),
			wantInputs:  map[string]string{},
			wantGeneral: []string{msgSquareRefused},
		},
		{
			name:        "an error without a field becomes a message for the whole form",
			err:         squareError(invalid("BAD_REQUEST", "")),
			wantInputs:  map[string]string{},
			wantGeneral: []string{msgSquareRefused},
		},
		{
			name:        "an error that is not Square's becomes a message for the whole form",
			err:         errors.New("boom"),
			wantGeneral: []string{msgSquareRefused},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotInputs, gotGeneral := squareFormErrors(fmt.Errorf("wrapped: %w", tt.err), inputs)
			if !maps.Equal(gotInputs, tt.wantInputs) {
				t.Errorf("squareFormErrors(%v) inputs = %v, want %v", tt.err, gotInputs, tt.wantInputs)
			}
			if !slices.Equal(gotGeneral, tt.wantGeneral) {
				t.Errorf("squareFormErrors(%v) general = %q, want %q", tt.err, gotGeneral, tt.wantGeneral)
			}
		})
	}
}

func TestSquareFormErrorsOfAFieldTheSellerCannotSeeIsAFormMessage(t *testing.T) {
	// A seller outside the EU has no VAT input to put a message beside.
	gotInputs, gotGeneral := squareFormErrors(squareError(square.ErrorDetail{Code: "INVALID_VALUE", Field: "tax_ids.eu_vat"}), customerInputs(false))
	if len(gotInputs) != 0 || !slices.Equal(gotGeneral, []string{msgSquareRefused}) {
		t.Errorf("squareFormErrors(eu_vat, no VAT input) = %v, %q, want no input and %q", gotInputs, gotGeneral, msgSquareRefused)
	}
}

func TestOutcomeUnknownTellsARefusalFromALostAnswer(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"a rate limit refused the write", &square.Error{StatusCode: http.StatusTooManyRequests}, false},
		{"an unavailable Square refused the write", &square.Error{StatusCode: http.StatusServiceUnavailable}, false},
		{"an internal error may have written", &square.Error{StatusCode: http.StatusInternalServerError}, true},
		{"a gateway timeout may have written", &square.Error{StatusCode: http.StatusGatewayTimeout}, true},
		{"a timeout may have written", context.DeadlineExceeded, true},
		{"a dropped connection may have written", &url.Error{Op: "Post", URL: "x", Err: errors.New("EOF")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outcomeUnknown(tt.err); got != tt.want {
				t.Errorf("outcomeUnknown(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestValidateChecksOnlyWhatTheUserChangedOnAnEdit(t *testing.T) {
	// An old value Square once accepted must not block an unrelated edit.
	orig := views.CustomerValues{}
	for _, in := range customerInputs(false) {
		orig[in] = ""
	}
	orig[views.CustomerGivenName] = "Old"
	orig[views.CustomerPhoneNumber] = "12"
	orig[views.CustomerEmailAddress] = "not an email"
	f := customerForm{orig: orig, values: maps.Clone(orig), inputs: customerInputs(false)}
	f.values[views.CustomerNote] = "new note"
	if errs := f.validate(time.Now()); len(errs) != 0 {
		t.Errorf("validate(untouched bad phone and email, changed note) = %v, want no errors", errs)
	}
	f.values[views.CustomerPhoneNumber] = "123"
	if errs := f.validate(time.Now()); errs[views.CustomerPhoneNumber] != msgPhone {
		t.Errorf("validate(changed bad phone) = %v, want %q beside the phone", errs, msgPhone)
	}
}

func TestUpdateRequestSendsOnlyChangesAndClearsWhatWasEmptied(t *testing.T) {
	orig := views.CustomerValues{}
	for _, in := range customerInputs(true) {
		orig[in] = ""
	}
	orig[views.CustomerGivenName] = "Ada"
	orig[views.CustomerNote] = "note"
	orig[views.CustomerLocality] = "London"
	orig[views.CustomerBirthdayMonth], orig[views.CustomerBirthdayDay] = "12", "10"
	orig[views.CustomerEUVat] = "GB123"
	f := customerForm{orig: orig, values: maps.Clone(orig), inputs: customerInputs(true)}
	f.values[views.CustomerNote] = ""
	f.values[views.CustomerLocality] = "Paris"
	f.values[views.CustomerBirthdayYear] = "1815"
	f.values[views.CustomerEUVat] = ""

	req, changed := updateRequest(f, 7)
	if !changed {
		t.Fatal("updateRequest(changes) changed = false, want true")
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("json.Marshal(updateRequest) = %v", err)
	}
	got := string(body)
	want := `{"address":{"locality":"Paris"},"note":null,"birthday":"1815-12-10","tax_ids":null,"version":7}`
	if got != want {
		t.Errorf("updateRequest body = %s, want %s", got, want)
	}

	if _, changed := updateRequest(customerForm{orig: orig, values: maps.Clone(orig), inputs: customerInputs(true)}, 7); changed {
		t.Error("updateRequest(no changes) changed = true, want false")
	}
}

func TestASaveThatTimedOutStillShowsTheFormAsTyped(t *testing.T) {
	a := &app{cfg: &config.Config{}, logger: slog.New(slog.DiscardHandler), now: time.Now}
	// By the time a timed-out save answers, the request's context has
	// ended; templ refuses to render on it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/customers", nil).WithContext(ctx), rec)
	v := newCustomerView(false)
	v.Values = views.CustomerValues{views.CustomerGivenName: "Typed"}
	v.IdempotencyKey = newIdempotencyKey()

	if err := a.customerSaveFailed(c, v, fmt.Errorf("square: %w", context.DeadlineExceeded), false); err != nil {
		t.Fatalf("customerSaveFailed(timeout) = %v, want the form rendered", err)
	}
	body := rec.Body.String()
	if rec.Code != http.StatusGatewayTimeout || !strings.Contains(body, `value="Typed"`) || !strings.Contains(body, "may not have been saved") {
		t.Errorf("customerSaveFailed(timeout) = %d, want 504 with the typed value and \"may not have been saved\"\n%s", rec.Code, body)
	}
}

func TestAConflictChoiceThatDidNotArriveKeepsSquaresValue(t *testing.T) {
	form := url.Values{
		"orig_given_name": {"Square's"}, "mine_given_name": {"Mine"},
		"orig_family_name": {"Kept"}, "family_name": {"Kept"},
		"orig_nickname": {"Theirs"}, "mine_nickname": {"Ours"}, "pick_nickname": {"mine"},
	}
	f := readCustomerForm(form, false, true)
	for in, want := range map[string]string{
		views.CustomerGivenName: "Square's", views.CustomerFamilyName: "Kept", views.CustomerNickname: "Ours",
	} {
		if got := f.values[in]; got != want {
			t.Errorf("readCustomerForm(conflict form) %s = %q, want %q", in, got, want)
		}
	}
}
