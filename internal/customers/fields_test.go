package customers

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// full is a customer with every field the table knows set.
func full() *square.Customer {
	return &square.Customer{
		GivenName: "Ada", FamilyName: "Lovelace", Nickname: "Countess", CompanyName: "Engines Ltd",
		EmailAddress: "ada@example.com", PhoneNumber: "+44 20 7946 0000",
		Address: &square.Address{AddressLine1: "1 Analytical Way", AddressLine2: "Flat 2", Locality: "London",
			AdministrativeDistrictLevel1: "Greater London", PostalCode: "N1 9GU", Country: "GB"},
		Birthday: "1985-12-10", ReferenceID: "REF-1", Note: "First programmer",
		TaxIDs: &square.TaxIDs{EUVat: "GB123456789"},
	}
}

func TestEveryFieldIsWiredToSquareBothWays(t *testing.T) {
	t.Parallel()
	keys := map[string]bool{}
	paths := map[string]string{}
	for _, f := range fields {
		if keys[f.Key] {
			t.Errorf("field %q is in the table twice", f.Key)
		}
		keys[f.Key] = true
		if f.Label == "" || f.get == nil || f.set == nil || f.update == nil {
			t.Errorf("field %q lacks a label or a way to read or write it", f.Key)
		}
		if len(f.SquareFields) == 0 {
			t.Errorf("field %q names no Square field, so Square's refusals of it cannot be shown beside it", f.Key)
		}
		for _, p := range f.SquareFields {
			if other, ok := paths[p]; ok {
				t.Errorf("Square's field %q maps to both %q and %q", p, other, f.Key)
			}
			paths[p] = f.Key
		}
		if got := f.Of(full()); got == "" {
			t.Errorf("field %q reads nothing from a customer with every field set", f.Key)
		}
	}
}

func TestACustomerReadIntoTheFormIsCreatedAsItWas(t *testing.T) {
	t.Parallel()
	cu := full()
	fs := Fields(true)
	f := Form{Values: FromSquare(cu, fs), Fields: fs}
	if errs := f.Validate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); len(errs) != 0 {
		t.Fatalf("Validate(a valid customer) = %v, want no messages", errs)
	}
	req := f.CreateRequest("key-1")
	want := &square.CreateCustomerRequest{
		IdempotencyKey: "key-1",
		GivenName:      cu.GivenName, FamilyName: cu.FamilyName, Nickname: cu.Nickname, CompanyName: cu.CompanyName,
		EmailAddress: cu.EmailAddress, PhoneNumber: cu.PhoneNumber, Address: cu.Address,
		Birthday: cu.Birthday, ReferenceID: cu.ReferenceID, Note: cu.Note, TaxIDs: cu.TaxIDs,
	}
	got, _ := json.Marshal(req)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("CreateRequest(FromSquare(customer)) = %s, want %s", got, wantJSON)
	}
}

func TestAnEditOfOneFieldSendsThatFieldAlone(t *testing.T) {
	t.Parallel()
	fs := Fields(true)
	orig := FromSquare(full(), fs)
	for _, f := range fs {
		t.Run(f.Key, func(t *testing.T) {
			values := maps.Clone(orig)
			for _, in := range f.Inputs() {
				values[in] = ""
			}
			req, changed := (Form{Values: values, Orig: orig, Fields: fs}).UpdateRequest(3)
			if !changed {
				t.Fatalf("UpdateRequest(%s emptied) changed = false, want true", f.Key)
			}
			body, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			var sent map[string]any
			if err := json.Unmarshal(body, &sent); err != nil {
				t.Fatal(err)
			}
			delete(sent, "version")
			if len(sent) != 1 {
				t.Errorf("UpdateRequest(%s emptied) = %s, want one field", f.Key, body)
			}
			// The emptied field is cleared: null, or for an address line,
			// a null line inside the address.
			if !strings.Contains(string(body), "null") {
				t.Errorf("UpdateRequest(%s emptied) = %s, want the field cleared with null", f.Key, body)
			}
		})
	}
}

func TestTheFormShowsTheEUVATNumberOnlyToEUSellers(t *testing.T) {
	t.Parallel()
	if slices.Contains(InputNames(Fields(false)), EUVat) {
		t.Error("Fields(false) has the EU VAT number, want it only with EU fields")
	}
	if !slices.Contains(InputNames(Fields(true)), EUVat) {
		t.Error("Fields(true) lacks the EU VAT number")
	}
	if !EUVATCountry("DE") || !EUVATCountry("GB") || EUVATCountry("US") {
		t.Error("EUVATCountry: want DE and GB in, US out")
	}
}
