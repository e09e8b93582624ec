package square

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// CustomersService is the Customers API: the seller's Customer Directory.
type CustomersService service

// Customer is a profile in the seller's Customer Directory.
type Customer struct {
	ID           string    `json:"id,omitempty"`
	CreatedAt    Timestamp `json:"created_at,omitzero"`
	UpdatedAt    Timestamp `json:"updated_at,omitzero"`
	GivenName    string    `json:"given_name,omitempty"`
	FamilyName   string    `json:"family_name,omitempty"`
	Nickname     string    `json:"nickname,omitempty"`
	CompanyName  string    `json:"company_name,omitempty"`
	EmailAddress string    `json:"email_address,omitempty"`
	PhoneNumber  string    `json:"phone_number,omitempty"`
	ReferenceID  string    `json:"reference_id,omitempty"`
	Note         string    `json:"note,omitempty"`
	Address      *Address  `json:"address,omitempty"`
	// Birthday is YYYY-MM-DD; the year is 0000 when none was given.
	Birthday    string               `json:"birthday,omitempty"`
	Preferences *CustomerPreferences `json:"preferences,omitempty"`
	// CreationSource is how the profile came to be, e.g. THIRD_PARTY for
	// profiles created through the API.
	CreationSource string   `json:"creation_source,omitempty"`
	GroupIDs       []string `json:"group_ids,omitempty"`
	SegmentIDs     []string `json:"segment_ids,omitempty"`
	// Version starts at 0 and grows with each update; send it back with
	// updates and deletes so that a concurrent change is not overwritten.
	Version int64   `json:"version"`
	TaxIDs  *TaxIDs `json:"tax_ids,omitempty"`
	// Cards are the customer's cards on file, as returned by Square-Versions
	// before 2024-12-18.
	//
	// Deprecated: Square retired this field; use CardsService.List with a
	// CustomerID.
	Cards []Card `json:"cards,omitempty"`
}

// CustomerPreferences are the customer's communication preferences; they are
// read-only through the API.
type CustomerPreferences struct {
	EmailUnsubscribed bool `json:"email_unsubscribed"`
}

// CustomerSortField orders ListCustomers and SearchCustomers results.
type CustomerSortField string

// Sort fields. CustomerSortDefault sorts by given and family name, falling
// back to company name, email and phone number.
const (
	CustomerSortDefault   CustomerSortField = "DEFAULT"
	CustomerSortCreatedAt CustomerSortField = "CREATED_AT"
)

// SortOrder is ascending or descending.
type SortOrder string

// Sort orders.
const (
	SortAscending  SortOrder = "ASC"
	SortDescending SortOrder = "DESC"
)

// ListCustomersParams are the query parameters of ListCustomers. Zero values
// are left out, so Square's defaults apply.
type ListCustomersParams struct {
	// Cursor continues from a previous page.
	Cursor string
	// Limit is a page-size hint from 1 to 100.
	Limit int
	// SortField and SortOrder choose the order.
	SortField CustomerSortField
	SortOrder SortOrder
	// Count asks Square for the total number of customers.
	Count bool
}

// values encodes p as a query string.
func (p *ListCustomersParams) values() url.Values {
	v := url.Values{}
	if p == nil {
		return v
	}
	if p.Cursor != "" {
		v.Set("cursor", p.Cursor)
	}
	if p.Limit != 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.SortField != "" {
		v.Set("sort_field", string(p.SortField))
	}
	if p.SortOrder != "" {
		v.Set("sort_order", string(p.SortOrder))
	}
	if p.Count {
		v.Set("count", "true")
	}
	return v
}

// CustomerPage is one page of customers. Cursor is empty on the last page;
// Count is set only when the request asked for it.
type CustomerPage struct {
	Customers []Customer `json:"customers"`
	Cursor    string     `json:"cursor"`
	Count     *int64     `json:"count"`
}

// List returns one page of the directory.
func (s *CustomersService) List(ctx context.Context, params *ListCustomersParams) (*CustomerPage, error) {
	req, err := s.client.newRequest(ctx, http.MethodGet, withQuery("v2/customers", params.values()), nil)
	if err != nil {
		return nil, err
	}
	page := new(CustomerPage)
	if err := s.client.do(req, page); err != nil {
		return nil, err
	}
	return page, nil
}

// Search returns one page of customers matching req. Square has no search by
// name: filters are email, phone, reference id, dates, creation source,
// groups, segments and custom attributes, all ANDed.
func (s *CustomersService) Search(ctx context.Context, body *SearchCustomersRequest) (*CustomerPage, error) {
	if body == nil {
		body = new(SearchCustomersRequest)
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, "v2/customers/search", body)
	if err != nil {
		return nil, err
	}
	// A search only reads, so sending it twice is harmless.
	req.retrySafe = true
	page := new(CustomerPage)
	if err := s.client.do(req, page); err != nil {
		return nil, err
	}
	return page, nil
}

// Get returns the customer with the given id.
func (s *CustomersService) Get(ctx context.Context, id string) (*Customer, error) {
	path, err := idPath("v2/customers/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return s.customer(req)
}

// CreateCustomerRequest is the body of CreateCustomer. At least one of
// GivenName, FamilyName, CompanyName, EmailAddress and PhoneNumber is needed.
type CreateCustomerRequest struct {
	// IdempotencyKey makes a repeated create return the first result; with
	// it the request is also retried on transient failures.
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	GivenName      string   `json:"given_name,omitempty"`
	FamilyName     string   `json:"family_name,omitempty"`
	CompanyName    string   `json:"company_name,omitempty"`
	Nickname       string   `json:"nickname,omitempty"`
	EmailAddress   string   `json:"email_address,omitempty"`
	Address        *Address `json:"address,omitempty"`
	PhoneNumber    string   `json:"phone_number,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
	Note           string   `json:"note,omitempty"`
	// Birthday is YYYY-MM-DD, or MM-DD without a year.
	Birthday string  `json:"birthday,omitempty"`
	TaxIDs   *TaxIDs `json:"tax_ids,omitempty"`
}

// Create adds a customer to the directory.
func (s *CustomersService) Create(ctx context.Context, body *CreateCustomerRequest) (*Customer, error) {
	if body == nil {
		return nil, errors.New("square: Customers.Create needs a request")
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, "v2/customers", body)
	if err != nil {
		return nil, err
	}
	// Without an idempotency key a retry after a lost response would create
	// a second customer.
	req.retrySafe = body.IdempotencyKey != ""
	return s.customer(req)
}

// UpdateCustomerRequest is the body of UpdateCustomer, a sparse update: the
// zero value of each Nullable leaves the field alone, Set changes it and
// Clear removes it.
type UpdateCustomerRequest struct {
	GivenName    Nullable[string]        `json:"given_name,omitzero"`
	FamilyName   Nullable[string]        `json:"family_name,omitzero"`
	CompanyName  Nullable[string]        `json:"company_name,omitzero"`
	Nickname     Nullable[string]        `json:"nickname,omitzero"`
	EmailAddress Nullable[string]        `json:"email_address,omitzero"`
	Address      Nullable[AddressUpdate] `json:"address,omitzero"`
	PhoneNumber  Nullable[string]        `json:"phone_number,omitzero"`
	ReferenceID  Nullable[string]        `json:"reference_id,omitzero"`
	Note         Nullable[string]        `json:"note,omitzero"`
	// Birthday is YYYY-MM-DD, or MM-DD without a year.
	Birthday Nullable[string] `json:"birthday,omitzero"`
	TaxIDs   Nullable[TaxIDs] `json:"tax_ids,omitzero"`
	// Version is the version the user saw; Square refuses the update if the
	// customer has changed since (see IsVersionMismatch). Nil skips the check.
	Version *int64 `json:"version,omitempty"`
}

// Update changes a customer. It is never retried: a PUT that reached Square
// once would fail the version check the second time.
func (s *CustomersService) Update(ctx context.Context, id string, body *UpdateCustomerRequest) (*Customer, error) {
	if body == nil {
		return nil, errors.New("square: Customers.Update needs a request")
	}
	path, err := idPath("v2/customers/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodPut, path, body)
	if err != nil {
		return nil, err
	}
	return s.customer(req)
}

// Delete removes a customer. A non-nil version makes Square refuse if the
// customer changed since the user saw it.
func (s *CustomersService) Delete(ctx context.Context, id string, version *int64) error {
	path, err := idPath("v2/customers/", id)
	if err != nil {
		return err
	}
	if version != nil {
		path = withQuery(path, url.Values{"version": {strconv.FormatInt(*version, 10)}})
	}
	req, err := s.client.newRequest(ctx, http.MethodDelete, path, nil)
	if err != nil {
		return err
	}
	return s.client.do(req, nil)
}

// CustomerGroup is a named group of customers that the seller manages.
type CustomerGroup struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt Timestamp `json:"created_at,omitzero"`
	UpdatedAt Timestamp `json:"updated_at,omitzero"`
}

// CustomerGroupPage is one page of customer groups; Cursor is empty on the
// last page.
type CustomerGroupPage struct {
	Groups []CustomerGroup `json:"groups"`
	Cursor string          `json:"cursor"`
}

// ListGroups returns one page of customer groups. An empty cursor starts at
// the beginning; a zero limit takes Square's default of 50.
func (s *CustomersService) ListGroups(ctx context.Context, cursor string, limit int) (*CustomerGroupPage, error) {
	v := url.Values{}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	req, err := s.client.newRequest(ctx, http.MethodGet, withQuery("v2/customers/groups", v), nil)
	if err != nil {
		return nil, err
	}
	page := new(CustomerGroupPage)
	if err := s.client.do(req, page); err != nil {
		return nil, err
	}
	return page, nil
}

// AllGroups iterates over every customer group.
func (s *CustomersService) AllGroups(ctx context.Context) iter.Seq2[CustomerGroup, error] {
	return paginate("", func(cursor string) ([]CustomerGroup, string, error) {
		page, err := s.ListGroups(ctx, cursor, 0)
		if err != nil {
			return nil, "", err
		}
		return page.Groups, page.Cursor, nil
	})
}

// customer sends req and returns the {"customer": ...} of its response.
func (s *CustomersService) customer(req *request) (*Customer, error) {
	var out struct {
		Customer *Customer `json:"customer"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	if out.Customer == nil {
		return nil, fmt.Errorf("square: %s %s: response has no customer", req.Method, req.URL.Path)
	}
	return out.Customer, nil
}

// idPath appends an escaped id to prefix. It refuses ids that would change
// which endpoint is called: empty ones (a list endpoint) and dot segments.
func idPath(prefix, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("square: invalid id %q", id)
	}
	return prefix + url.PathEscape(id), nil
}

// withQuery appends v to path when it holds anything.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
