package squarelocal

// Wire types: squarelocal's own copy of the JSON shapes Square sends and
// receives. They are deliberately written apart from internal/square so that
// the contract tests compare two independent readings of docs/square.md.

// ErrorDetail is one entry of Square's "errors" array.
type ErrorDetail struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Detail   string `json:"detail,omitempty"`
	Field    string `json:"field,omitempty"`
}

// Address is Square's Address object.
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
	Country                      string `json:"country,omitempty"`
	FirstName                    string `json:"first_name,omitempty"`
	LastName                     string `json:"last_name,omitempty"`
}

// IsZero reports whether no field of the address is set.
func (a *Address) IsZero() bool { return a == nil || *a == Address{} }

// Preferences is the customer's marketing preferences (read-only via the API).
type Preferences struct {
	EmailUnsubscribed bool `json:"email_unsubscribed"`
}

// TaxIDs holds the EU VAT id of a customer of an EU or UK seller.
type TaxIDs struct {
	EuVat string `json:"eu_vat,omitempty"`
}

// Customer is Square's Customer object as stored and served by the emulator.
type Customer struct {
	ID             string       `json:"id"`
	CreatedAt      string       `json:"created_at"`
	UpdatedAt      string       `json:"updated_at"`
	Cards          []Card       `json:"cards,omitempty"`
	GivenName      string       `json:"given_name,omitempty"`
	FamilyName     string       `json:"family_name,omitempty"`
	Nickname       string       `json:"nickname,omitempty"`
	CompanyName    string       `json:"company_name,omitempty"`
	EmailAddress   string       `json:"email_address,omitempty"`
	Address        *Address     `json:"address,omitempty"`
	PhoneNumber    string       `json:"phone_number,omitempty"`
	Birthday       string       `json:"birthday,omitempty"`
	ReferenceID    string       `json:"reference_id,omitempty"`
	Note           string       `json:"note,omitempty"`
	Preferences    *Preferences `json:"preferences,omitempty"`
	CreationSource string       `json:"creation_source,omitempty"`
	GroupIDs       []string     `json:"group_ids,omitempty"`
	SegmentIDs     []string     `json:"segment_ids,omitempty"`
	Version        int64        `json:"version"`
	TaxIDs         *TaxIDs      `json:"tax_ids,omitempty"`
}

// Visible reports whether List and Search may return the customer: Square
// hides profiles that have none of the five identifying fields.
func (c *Customer) Visible() bool {
	return c.GivenName != "" || c.FamilyName != "" || c.CompanyName != "" ||
		c.EmailAddress != "" || c.PhoneNumber != ""
}

// CustomerGroup is Square's CustomerGroup object.
type CustomerGroup struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// Card is Square's Card object (Cards API and, for old versions, Customer.cards).
type Card struct {
	ID             string   `json:"id"`
	CardBrand      string   `json:"card_brand,omitempty"`
	Last4          string   `json:"last_4,omitempty"`
	ExpMonth       int64    `json:"exp_month,omitempty"`
	ExpYear        int64    `json:"exp_year,omitempty"`
	CardholderName string   `json:"cardholder_name,omitempty"`
	BillingAddress *Address `json:"billing_address,omitempty"`
	Fingerprint    string   `json:"fingerprint,omitempty"`
	CustomerID     string   `json:"customer_id,omitempty"`
	MerchantID     string   `json:"merchant_id,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
	Enabled        bool     `json:"enabled"`
	CardType       string   `json:"card_type,omitempty"`
	PrepaidType    string   `json:"prepaid_type,omitempty"`
	Bin            string   `json:"bin,omitempty"`
	Version        int64    `json:"version"`
	CreatedAt      string   `json:"created_at,omitempty"`
	DisabledAt     string   `json:"disabled_at,omitempty"`
}

// Merchant is Square's Merchant object.
type Merchant struct {
	ID             string `json:"id"`
	BusinessName   string `json:"business_name"`
	Country        string `json:"country"`
	LanguageCode   string `json:"language_code"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	MainLocationID string `json:"main_location_id"`
	CreatedAt      string `json:"created_at"`
}

// Location is the subset of Square's Location object that the emulator keeps.
type Location struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	BusinessName string   `json:"business_name"`
	Status       string   `json:"status"`
	Country      string   `json:"country"`
	Currency     string   `json:"currency"`
	MerchantID   string   `json:"merchant_id"`
	Timezone     string   `json:"timezone"`
	LanguageCode string   `json:"language_code"`
	Address      *Address `json:"address,omitempty"`
	Type         string   `json:"type"`
	Capabilities []string `json:"capabilities,omitempty"`
	CreatedAt    string   `json:"created_at"`
}
