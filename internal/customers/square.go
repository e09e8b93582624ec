package customers

import (
	"slices"
	"strings"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// MsgSquareRefused is the form-level message for a refusal Square did not
// tie to an input of the form.
const MsgSquareRefused = "Square did not accept these details. Check them and try again."

// SquareProblems turns Square's refusal of a customer into messages by
// input, and messages about the form as a whole. Square's detail text is
// for developers and never shown.
func SquareProblems(err error, fs []Field) (byInput map[string]string, general []string) {
	details := square.ErrorDetails(err)
	if len(details) == 0 {
		return nil, []string{MsgSquareRefused}
	}
	byInput = map[string]string{}
	for _, d := range details {
		field, ok := fieldForSquare(d.Field, fs)
		if d.Code == "MISSING_REQUIRED_PARAMETER" && (d.Field == "" || (ok && field.Identifying)) {
			byInput[GivenName] = MsgNeedOneIdentifier
			continue
		}
		if !ok {
			if !slices.Contains(general, MsgSquareRefused) {
				general = append(general, MsgSquareRefused)
			}
			continue
		}
		in := field.Inputs()[0]
		if _, seen := byInput[in]; !seen {
			byInput[in] = codeMessage(field, d.Code)
		}
	}
	return byInput, general
}

// fieldForSquare finds the field of fs that Square's field path names.
func fieldForSquare(path string, fs []Field) (Field, bool) {
	for _, f := range fs {
		if slices.Contains(f.SquareFields, path) {
			return f, true
		}
	}
	return Field{}, false
}

// codeMessage is the message for Square's error code on a field.
func codeMessage(f Field, code string) string {
	switch {
	case code == "VALUE_TOO_LONG":
		return f.Label + " is longer than Square allows. Shorten it."
	case code == "INVALID_EMAIL_ADDRESS":
		return msgEmail
	case code == "INVALID_PHONE_NUMBER":
		return msgPhone
	case f.Kind == Date:
		return msgBirthdayDate
	case f.Kind == CountryCode:
		return msgCountry
	case f.Key == EUVat:
		return msgVAT
	}
	return "Square did not accept this " + strings.ToLower(f.Label) + ". Check it and try again."
}
