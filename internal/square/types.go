package square

import (
	"bytes"
	"encoding/json"
	"time"
)

// Timestamp is an RFC 3339 time from Square. It accepts second and
// sub-second precision, and reads "" or null as the zero time, which Square
// uses for "never" (for example a token that does not expire).
type Timestamp struct {
	time.Time
}

// UnmarshalJSON parses an RFC 3339 string, "" or null.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Timestamp{}
		return nil
	}
	var s string
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		// A plain quoted string, as every timestamp is: read it as it
		// stands rather than decode it again, which was a tenth of
		// reading a page of customers.
		s = string(b[1 : len(b)-1])
	} else if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*t = Timestamp{}
		return nil
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Timestamp{Time: parsed}
	return nil
}

// Address is Square's postal address. Inside a customer, Square ignores
// FirstName and LastName.
type Address struct {
	AddressLine1                 string `json:"address_line_1,omitempty"`
	AddressLine2                 string `json:"address_line_2,omitempty"`
	AddressLine3                 string `json:"address_line_3,omitempty"`
	Locality                     string `json:"locality,omitempty"`
	Sublocality                  string `json:"sublocality,omitempty"`
	Sublocality2                 string `json:"sublocality_2,omitempty"`
	Sublocality3                 string `json:"sublocality_3,omitempty"`
	AdministrativeDistrictLevel1 string `json:"administrative_district_level_1,omitempty"`
	AdministrativeDistrictLevel2 string `json:"administrative_district_level_2,omitempty"`
	AdministrativeDistrictLevel3 string `json:"administrative_district_level_3,omitempty"`
	PostalCode                   string `json:"postal_code,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code such as "US".
	Country   string `json:"country,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// AddressUpdate changes parts of a stored address. Square merges an update
// into the stored object field by field, so an address line that is simply
// left out keeps its old value; use ReplaceAddress to make the stored address
// equal to a new one.
type AddressUpdate struct {
	AddressLine1                 Nullable[string] `json:"address_line_1,omitzero"`
	AddressLine2                 Nullable[string] `json:"address_line_2,omitzero"`
	AddressLine3                 Nullable[string] `json:"address_line_3,omitzero"`
	Locality                     Nullable[string] `json:"locality,omitzero"`
	Sublocality                  Nullable[string] `json:"sublocality,omitzero"`
	Sublocality2                 Nullable[string] `json:"sublocality_2,omitzero"`
	Sublocality3                 Nullable[string] `json:"sublocality_3,omitzero"`
	AdministrativeDistrictLevel1 Nullable[string] `json:"administrative_district_level_1,omitzero"`
	AdministrativeDistrictLevel2 Nullable[string] `json:"administrative_district_level_2,omitzero"`
	AdministrativeDistrictLevel3 Nullable[string] `json:"administrative_district_level_3,omitzero"`
	PostalCode                   Nullable[string] `json:"postal_code,omitzero"`
	Country                      Nullable[string] `json:"country,omitzero"`
	FirstName                    Nullable[string] `json:"first_name,omitzero"`
	LastName                     Nullable[string] `json:"last_name,omitzero"`
}

// TaxIDs holds a customer's tax identifiers; Square only keeps them for
// sellers in the EU and the UK.
type TaxIDs struct {
	// EUVat is the EU VAT number, at most 20 alphanumeric characters.
	EUVat string `json:"eu_vat,omitempty"`
}
