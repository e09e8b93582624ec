package customers

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// squareError builds the error Square's client returns for a 400.
func squareError(details ...square.ErrorDetail) *square.Error {
	e := &square.Error{StatusCode: http.StatusBadRequest, Errors: details}
	e.Category, e.Code, e.Field = details[0].Category, details[0].Code, details[0].Field
	return e
}

func TestSquareProblemsPutsSquaresMessagesBesideTheFields(t *testing.T) {
	fs := Fields(true)
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
			wantInputs: map[string]string{EmailAddress: msgEmail},
		},
		{
			name:       "an invalid phone number is shown beside the phone",
			err:        squareError(invalid("INVALID_PHONE_NUMBER", "phone_number")),
			wantInputs: map[string]string{PhoneNumber: msgPhone},
		},
		{
			name:       "a bad birthday is shown beside its month",
			err:        squareError(invalid("INVALID_TIME", "birthday")),
			wantInputs: map[string]string{BirthdayMonth: msgBirthdayDate},
		},
		{
			name:       "an over-long address line says Square's limit",
			err:        squareError(invalid("VALUE_TOO_LONG", "address.address_line_1")),
			wantInputs: map[string]string{AddressLine1: "Address line 1 is longer than Square allows. Shorten it."},
		},
		{
			name:       "an unknown country is shown beside the country",
			err:        squareError(invalid("INVALID_ENUM_VALUE", "address.country")),
			wantInputs: map[string]string{Country: msgCountry},
		},
		{
			name:       "a bad VAT number is shown beside it",
			err:        squareError(invalid("INVALID_VALUE", "tax_ids.eu_vat")),
			wantInputs: map[string]string{EUVat: msgVAT},
		},
		{
			name: "several fields each get their message, the first per field",
			err: squareError(invalid("VALUE_TOO_LONG", "given_name"), invalid("INVALID_EMAIL_ADDRESS", "email_address"),
				invalid("VALUE_TOO_LONG", "given_name")),
			wantInputs: map[string]string{
				GivenName:    "First name is longer than Square allows. Shorten it.",
				EmailAddress: msgEmail,
			},
		},
		{
			name:       "a missing identifying field points at the first name",
			err:        squareError(invalid("MISSING_REQUIRED_PARAMETER", "")),
			wantInputs: map[string]string{GivenName: MsgNeedOneIdentifier},
		},
		{
			name:        "a field the form does not have becomes a message for the whole form",
			err:         squareError(invalid("VALUE_TOO_LONG", "address.address_line_3")),
			wantInputs:  map[string]string{},
			wantGeneral: []string{MsgSquareRefused},
		},
		{
			name:        "an error without a field becomes a message for the whole form",
			err:         squareError(invalid("BAD_REQUEST", "")),
			wantInputs:  map[string]string{},
			wantGeneral: []string{MsgSquareRefused},
		},
		{
			name:        "an error that is not Square's becomes a message for the whole form",
			err:         errors.New("boom"),
			wantGeneral: []string{MsgSquareRefused},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotInputs, gotGeneral := SquareProblems(fmt.Errorf("wrapped: %w", tt.err), fs)
			if !maps.Equal(gotInputs, tt.wantInputs) {
				t.Errorf("SquareProblems(%v) inputs = %v, want %v", tt.err, gotInputs, tt.wantInputs)
			}
			if !slices.Equal(gotGeneral, tt.wantGeneral) {
				t.Errorf("SquareProblems(%v) general = %q, want %q", tt.err, gotGeneral, tt.wantGeneral)
			}
		})
	}
}

func TestSquareProblemsOfAFieldTheSellerCannotSeeIsAFormMessage(t *testing.T) {
	// A seller outside the EU has no VAT input to put a message beside.
	gotInputs, gotGeneral := SquareProblems(squareError(square.ErrorDetail{Code: "INVALID_VALUE", Field: "tax_ids.eu_vat"}), Fields(false))
	if len(gotInputs) != 0 || !slices.Equal(gotGeneral, []string{MsgSquareRefused}) {
		t.Errorf("SquareProblems(eu_vat, no VAT input) = %v, %q, want no input and %q", gotInputs, gotGeneral, MsgSquareRefused)
	}
}
