package square

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// fullCustomerJSON has every Customer field Square sends, with a
// millisecond and a second-precision timestamp.
const fullCustomerJSON = `{
  "id": "JDKYHBWT1D4F8MFH63DBMEN8Y4",
  "created_at": "2016-03-23T20:21:54.859Z",
  "updated_at": "2016-03-23T20:21:55Z",
  "given_name": "Amelia",
  "family_name": "Earhart",
  "nickname": "Millie",
  "company_name": "Aviators Inc",
  "email_address": "Amelia.Earhart@example.com",
  "phone_number": "+1-212-555-4240",
  "reference_id": "YOUR_REFERENCE_ID",
  "note": "a customer",
  "address": {
    "address_line_1": "500 Electric Ave",
    "address_line_2": "Suite 600",
    "address_line_3": "Rear",
    "locality": "New York",
    "sublocality": "Manhattan",
    "sublocality_2": "Midtown",
    "sublocality_3": "Block 4",
    "administrative_district_level_1": "NY",
    "administrative_district_level_2": "New York County",
    "administrative_district_level_3": "District 3",
    "postal_code": "10003",
    "country": "US",
    "first_name": "Amelia",
    "last_name": "Earhart"
  },
  "birthday": "0000-07-24",
  "preferences": {"email_unsubscribed": true},
  "creation_source": "THIRD_PARTY",
  "group_ids": ["545AXB44B4XXWMVQ4W8SBT3HHF"],
  "segment_ids": ["1KB9JE5EGJXCW.REACHABLE"],
  "version": 7,
  "tax_ids": {"eu_vat": "IE3426675K"},
  "cards": [{"id": "ccof:legacy", "card_brand": "VISA", "last_4": "1111", "exp_month": 11, "exp_year": 2030, "enabled": true}]
}`

func fullCustomer() Customer {
	return Customer{
		ID:           "JDKYHBWT1D4F8MFH63DBMEN8Y4",
		CreatedAt:    Timestamp{time.Date(2016, 3, 23, 20, 21, 54, 859000000, time.UTC)},
		UpdatedAt:    Timestamp{time.Date(2016, 3, 23, 20, 21, 55, 0, time.UTC)},
		GivenName:    "Amelia",
		FamilyName:   "Earhart",
		Nickname:     "Millie",
		CompanyName:  "Aviators Inc",
		EmailAddress: "Amelia.Earhart@example.com",
		PhoneNumber:  "+1-212-555-4240",
		ReferenceID:  "YOUR_REFERENCE_ID",
		Note:         "a customer",
		Address: &Address{
			AddressLine1: "500 Electric Ave", AddressLine2: "Suite 600", AddressLine3: "Rear",
			Locality: "New York", Sublocality: "Manhattan", Sublocality2: "Midtown", Sublocality3: "Block 4",
			AdministrativeDistrictLevel1: "NY", AdministrativeDistrictLevel2: "New York County", AdministrativeDistrictLevel3: "District 3",
			PostalCode: "10003", Country: "US", FirstName: "Amelia", LastName: "Earhart",
		},
		Birthday:       "0000-07-24",
		Preferences:    &CustomerPreferences{EmailUnsubscribed: true},
		CreationSource: "THIRD_PARTY",
		GroupIDs:       []string{"545AXB44B4XXWMVQ4W8SBT3HHF"},
		SegmentIDs:     []string{"1KB9JE5EGJXCW.REACHABLE"},
		Version:        7,
		TaxIDs:         &TaxIDs{EUVat: "IE3426675K"},
		Cards:          []Card{{ID: "ccof:legacy", CardBrand: "VISA", Last4: "1111", ExpMonth: 11, ExpYear: 2030, Enabled: true}},
	}
}

func TestCustomersList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		params    *ListCustomersParams
		wantQuery url.Values
		response  string
		want      *CustomerPage
	}{
		{
			name:      "no parameters send no query and an empty page decodes to no customers",
			params:    nil,
			wantQuery: nil,
			response:  `{}`,
			want:      &CustomerPage{},
		},
		{
			name:   "every parameter is sent and every customer field decoded",
			params: &ListCustomersParams{Cursor: "c1", Limit: 10, SortField: CustomerSortCreatedAt, SortOrder: SortDescending, Count: true},
			wantQuery: url.Values{
				"cursor": {"c1"}, "limit": {"10"}, "sort_field": {"CREATED_AT"}, "sort_order": {"DESC"}, "count": {"true"},
			},
			response: `{"customers":[` + fullCustomerJSON + `],"cursor":"c2","count":42}`,
			want:     &CustomerPage{Customers: []Customer{fullCustomer()}, Cursor: "c2", Count: new(int64(42))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/v2/customers", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testQuery(t, r, tt.wantQuery)
				testNoBody(t, r)
				fmt.Fprint(w, tt.response)
			})
			got, err := env.client.Customers.List(t.Context(), tt.params)
			if err != nil {
				t.Fatalf("Customers.List(ctx, %+v) error = %v", tt.params, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Customers.List(ctx, %+v) = %+v, want %+v", tt.params, got, tt.want)
			}
		})
	}
}

func TestCustomersSearch(t *testing.T) {
	t.Parallel()
	env := setup(t)
	boolTrue := true
	req := &SearchCustomersRequest{
		Cursor: "cur",
		Limit:  20,
		Count:  true,
		Query: &CustomerQuery{
			Filter: &CustomerFilter{
				CreationSource: &CreationSourceFilter{Values: []string{"THIRD_PARTY", "MERGE"}, Rule: CreationSourceExclude},
				CreatedAt:      &TimeRange{StartAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), EndAt: time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC)},
				UpdatedAt:      &TimeRange{StartAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
				EmailAddress:   &TextFilter{Fuzzy: "steven gmail"},
				PhoneNumber:    &TextFilter{Exact: "+12062223333"},
				ReferenceID:    &TextFilter{Fuzzy: "NYC M"},
				GroupIDs:       &FilterValue{All: []string{"G1"}, Any: []string{"G2", "G3"}, None: []string{"G4"}},
				SegmentIDs:     &FilterValue{Any: []string{"S1.REACHABLE"}},
				CustomAttribute: &CustomAttributeFilterSet{Filters: []CustomAttributeFilter{
					{Key: "favorite-email", Filter: &CustomAttributeFilterValue{Email: &TextFilter{Exact: "a@b.co"}}},
					{Key: "phone", Filter: &CustomAttributeFilterValue{Phone: &TextFilter{Fuzzy: "415"}}},
					{Key: "text", Filter: &CustomAttributeFilterValue{Text: &TextFilter{Exact: "hello"}}},
					{Key: "colours", Filter: &CustomAttributeFilterValue{Selection: &FilterValue{Any: []string{"Red"}}}},
					{Key: "anniversary", Filter: &CustomAttributeFilterValue{Date: &TimeRange{StartAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}},
					{Key: "points", Filter: &CustomAttributeFilterValue{Number: &NumberRange{StartAt: "1.5", EndAt: "100"}}},
					{Key: "vip", Filter: &CustomAttributeFilterValue{Boolean: &boolTrue}},
					{Key: "home", Filter: &CustomAttributeFilterValue{Address: &CustomerAddressFilter{PostalCode: &TextFilter{Exact: "10003"}, Country: "US"}}},
					{Key: "touched", UpdatedAt: &TimeRange{EndAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}},
				}},
			},
			Sort: &CustomerSort{Field: CustomerSortCreatedAt, Order: SortAscending},
		},
	}
	env.mux.HandleFunc("/v2/customers/search", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `{
		  "cursor": "cur", "limit": 20, "count": true,
		  "query": {
		    "filter": {
		      "creation_source": {"values": ["THIRD_PARTY", "MERGE"], "rule": "EXCLUDE"},
		      "created_at": {"start_at": "2024-01-01T00:00:00Z", "end_at": "2024-12-31T23:59:59Z"},
		      "updated_at": {"start_at": "2025-01-01T00:00:00Z"},
		      "email_address": {"fuzzy": "steven gmail"},
		      "phone_number": {"exact": "+12062223333"},
		      "reference_id": {"fuzzy": "NYC M"},
		      "group_ids": {"all": ["G1"], "any": ["G2", "G3"], "none": ["G4"]},
		      "segment_ids": {"any": ["S1.REACHABLE"]},
		      "custom_attribute": {"filters": [
		        {"key": "favorite-email", "filter": {"email": {"exact": "a@b.co"}}},
		        {"key": "phone", "filter": {"phone": {"fuzzy": "415"}}},
		        {"key": "text", "filter": {"text": {"exact": "hello"}}},
		        {"key": "colours", "filter": {"selection": {"any": ["Red"]}}},
		        {"key": "anniversary", "filter": {"date": {"start_at": "2020-01-01T00:00:00Z"}}},
		        {"key": "points", "filter": {"number": {"start_at": "1.5", "end_at": "100"}}},
		        {"key": "vip", "filter": {"boolean": true}},
		        {"key": "home", "filter": {"address": {"postal_code": {"exact": "10003"}, "country": "US"}}},
		        {"key": "touched", "updated_at": {"end_at": "2025-06-01T00:00:00Z"}}
		      ]}
		    },
		    "sort": {"field": "CREATED_AT", "order": "ASC"}
		  }
		}`)
		fmt.Fprint(w, `{"customers":[{"id":"C1","email_address":"steven.johnson@gmail.com","version":2}],"cursor":"next","count":1}`)
	})
	got, err := env.client.Customers.Search(t.Context(), req)
	if err != nil {
		t.Fatalf("Customers.Search(ctx, req) error = %v", err)
	}
	want := &CustomerPage{Customers: []Customer{{ID: "C1", EmailAddress: "steven.johnson@gmail.com", Version: 2}}, Cursor: "next", Count: new(int64(1))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Customers.Search(ctx, req) = %+v, want %+v", got, want)
	}
}

func TestCustomersSearchWithoutRequestSendsEmptyObject(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers/search", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{}`)
		fmt.Fprint(w, `{}`)
	})
	got, err := env.client.Customers.Search(t.Context(), nil)
	if err != nil {
		t.Fatalf("Customers.Search(ctx, nil) error = %v", err)
	}
	if len(got.Customers) != 0 || got.Cursor != "" || got.Count != nil {
		t.Errorf("Customers.Search(ctx, nil) = %+v, want an empty page", got)
	}
}

func TestCustomersGet(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers/JDKYHBWT1D4F8MFH63DBMEN8Y4", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, "Authorization", "Bearer "+testToken)
		fmt.Fprint(w, `{"customer":`+fullCustomerJSON+`}`)
	})
	got, err := env.client.Customers.Get(t.Context(), "JDKYHBWT1D4F8MFH63DBMEN8Y4")
	if err != nil {
		t.Fatalf("Customers.Get(ctx, id) error = %v", err)
	}
	if want := fullCustomer(); !reflect.DeepEqual(*got, want) {
		t.Errorf("Customers.Get(ctx, id) = %+v, want %+v", *got, want)
	}
}

func TestCustomersCreate(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testHeader(t, r, "Content-Type", "application/json")
		testNoHeader(t, r, "X-Clear-Null")
		// Fields left empty are absent, not "" or null.
		testJSONBody(t, r, `{
		  "idempotency_key": "form-key-1",
		  "given_name": "Amelia",
		  "email_address": "amelia@example.com",
		  "note": "<b>bold</b> & more",
		  "address": {"address_line_1": "500 Electric Ave", "postal_code": "10003", "country": "US"},
		  "birthday": "07-24",
		  "tax_ids": {"eu_vat": "IE3426675K"}
		}`)
		fmt.Fprint(w, `{"customer":{"id":"NEW1","given_name":"Amelia","version":0,"created_at":"2025-08-20T10:00:00.123Z"}}`)
	})
	req := &CreateCustomerRequest{
		IdempotencyKey: "form-key-1",
		GivenName:      "Amelia",
		EmailAddress:   "amelia@example.com",
		Note:           "<b>bold</b> & more",
		Address:        &Address{AddressLine1: "500 Electric Ave", PostalCode: "10003", Country: "US"},
		Birthday:       "07-24",
		TaxIDs:         &TaxIDs{EUVat: "IE3426675K"},
	}
	got, err := env.client.Customers.Create(t.Context(), req)
	if err != nil {
		t.Fatalf("Customers.Create(ctx, req) error = %v", err)
	}
	want := &Customer{ID: "NEW1", GivenName: "Amelia", CreatedAt: Timestamp{time.Date(2025, 8, 20, 10, 0, 0, 123000000, time.UTC)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Customers.Create(ctx, req) = %+v, want %+v", got, want)
	}
	if _, err := env.client.Customers.Create(t.Context(), nil); err == nil {
		t.Errorf("Customers.Create(ctx, nil) error = nil, want an error")
	}
}

func TestCustomersUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		req           *UpdateCustomerRequest
		wantBody      string
		wantClearNull bool
	}{
		{
			name: "set fields are sent, cleared ones are null and the rest absent",
			req: &UpdateCustomerRequest{
				GivenName:    Set("Amelia"),
				FamilyName:   Clear[string](),
				EmailAddress: Set("new@example.com"),
				PhoneNumber:  Clear[string](),
				Note:         SetOrClear(""),
				Birthday:     Set("1897-07-24"),
				TaxIDs:       Clear[TaxIDs](),
				Version:      new(int64(7)),
			},
			wantBody:      `{"given_name":"Amelia","family_name":null,"email_address":"new@example.com","phone_number":null,"note":null,"birthday":"1897-07-24","tax_ids":null,"version":7}`,
			wantClearNull: true,
		},
		{
			name:          "an update without nulls does not send X-Clear-Null",
			req:           &UpdateCustomerRequest{CompanyName: Set("Aviators"), ReferenceID: Set("R1"), Nickname: Set("M"), TaxIDs: Set(TaxIDs{EUVat: "IE1"})},
			wantBody:      `{"company_name":"Aviators","reference_id":"R1","nickname":"M","tax_ids":{"eu_vat":"IE1"}}`,
			wantClearNull: false,
		},
		{
			name:          "a cleared address is null",
			req:           &UpdateCustomerRequest{Address: Clear[AddressUpdate]()},
			wantBody:      `{"address":null}`,
			wantClearNull: true,
		},
		{
			name:          "an empty update sends an empty object",
			req:           &UpdateCustomerRequest{},
			wantBody:      `{}`,
			wantClearNull: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/v2/customers/C1", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				if tt.wantClearNull {
					testHeader(t, r, "X-Clear-Null", "true")
				} else {
					testNoHeader(t, r, "X-Clear-Null")
				}
				testJSONBody(t, r, tt.wantBody)
				fmt.Fprint(w, `{"customer":{"id":"C1","version":8}}`)
			})
			got, err := env.client.Customers.Update(t.Context(), "C1", tt.req)
			if err != nil {
				t.Fatalf("Customers.Update(ctx, C1, req) error = %v", err)
			}
			if got.Version != 8 {
				t.Errorf("Customers.Update(ctx, C1, req).Version = %d, want 8", got.Version)
			}
		})
	}
}

func TestCustomersDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		version   *int64
		wantQuery url.Values
	}{
		{"a version is sent as a query parameter", new(int64(3)), url.Values{"version": {"3"}}},
		{"version 0 is sent too", new(int64(0)), url.Values{"version": {"0"}}},
		{"no version sends no query", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/v2/customers/C1", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "DELETE")
				testQuery(t, r, tt.wantQuery)
				testNoBody(t, r)
				fmt.Fprint(w, `{}`)
			})
			if err := env.client.Customers.Delete(t.Context(), "C1", tt.version); err != nil {
				t.Errorf("Customers.Delete(ctx, C1, %v) error = %v", tt.version, err)
			}
		})
	}
}

func TestCustomersListGroups(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers/groups", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testQuery(t, r, url.Values{"cursor": {"g1"}, "limit": {"25"}})
		fmt.Fprint(w, `{"groups":[{"id":"G1","name":"Regulars","created_at":"2020-04-13T21:54:57.863Z","updated_at":"2020-04-13T21:54:58Z"}],"cursor":"g2"}`)
	})
	got, err := env.client.Customers.ListGroups(t.Context(), "g1", 25)
	if err != nil {
		t.Fatalf("Customers.ListGroups(ctx, g1, 25) error = %v", err)
	}
	want := &CustomerGroupPage{
		Groups: []CustomerGroup{{
			ID: "G1", Name: "Regulars",
			CreatedAt: Timestamp{time.Date(2020, 4, 13, 21, 54, 57, 863000000, time.UTC)},
			UpdatedAt: Timestamp{time.Date(2020, 4, 13, 21, 54, 58, 0, time.UTC)},
		}},
		Cursor: "g2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Customers.ListGroups(ctx, g1, 25) = %+v, want %+v", got, want)
	}
}

func TestCustomersAllGroups(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers/groups", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"groups":[{"id":"G1","name":"a"}],"cursor":"next"}`)
		case "next":
			fmt.Fprint(w, `{"groups":[{"id":"G2","name":"b"}]}`)
		default:
			t.Errorf("unexpected cursor %q", r.URL.Query().Get("cursor"))
		}
	})
	var ids []string
	for g, err := range env.client.Customers.AllGroups(t.Context()) {
		if err != nil {
			t.Fatalf("Customers.AllGroups(ctx) error = %v", err)
		}
		ids = append(ids, g.ID)
	}
	if want := []string{"G1", "G2"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Customers.AllGroups(ctx) = %v, want %v", ids, want)
	}
}
