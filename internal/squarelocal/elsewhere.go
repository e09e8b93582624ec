package squarelocal

// Changes made "elsewhere": by the seller in Square's dashboard or point of
// sale rather than through the API. They are committed exactly as an API
// call would commit them (new version, updated_at, webhook events), so a
// test can make a change the application under test did not make and
// watch it learn about it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// creationSourceDirectory is the creation_source of a profile made in the
// seller's Customer Directory.
const creationSourceDirectory = "DIRECTORY"

// Errors of the changes made elsewhere.
var (
	ErrUnknownMerchant = errors.New("squarelocal: unknown merchant")
	ErrUnknownCustomer = errors.New("squarelocal: unknown customer")
	// ErrInvalidCustomer wraps the reason a change leaves a customer
	// Square would refuse.
	ErrInvalidCustomer = errors.New("squarelocal: invalid customer")
)

// ChangeElsewhere changes a customer of a merchant as the seller's dashboard
// would: change gets a copy of the stored customer to modify; id,
// created_at, creation_source, version and updated_at are kept or set by
// the emulator. The change gets a new version and updated_at and sends
// customer.updated. It returns the customer as stored.
func (s *Server) ChangeElsewhere(merchantID, customerID string, change func(*Customer)) (Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	md, rec, err := s.findCustomer(merchantID, customerID)
	if err != nil {
		return Customer{}, err
	}
	c := deepCopy(rec.c)
	change(&c)
	c.ID, c.CreatedAt, c.CreationSource, c.Version = rec.c.ID, rec.c.CreatedAt, rec.c.CreationSource, rec.c.Version
	c.Cards, c.SegmentIDs = nil, nil
	c.Address = cleanAddress(c.Address)
	c.Birthday = normalizeBirthday(c.Birthday)
	if e := validateCustomer(&c); e != nil {
		return Customer{}, fmt.Errorf("%w: %s", ErrInvalidCustomer, e.Errors[0].Detail)
	}
	s.commitChange(md, rec, &c, s.Now())
	return deepCopy(&c), nil
}

// CreateElsewhere adds a customer to a merchant as the seller's Customer
// Directory would (creation_source DIRECTORY), and sends customer.created.
// Only the fields CreateCustomer takes are used.
func (s *Server) CreateElsewhere(merchantID string, c Customer) (Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	md := s.byID[merchantID]
	if md == nil {
		return Customer{}, fmt.Errorf("%w %q", ErrUnknownMerchant, merchantID)
	}
	in := customerInput{
		GivenName: c.GivenName, FamilyName: c.FamilyName, CompanyName: c.CompanyName, Nickname: c.Nickname,
		EmailAddress: c.EmailAddress, Address: c.Address, PhoneNumber: c.PhoneNumber, ReferenceID: c.ReferenceID,
		Note: c.Note, Birthday: c.Birthday, TaxIDs: c.TaxIDs,
	}
	out, e := s.newCustomer(&request{Merchant: md, Version: DefaultSquareVersion, Now: s.Now()}, &in, creationSourceDirectory)
	if e != nil {
		return Customer{}, fmt.Errorf("%w: %s", ErrInvalidCustomer, e.Errors[0].Detail)
	}
	made := out.(map[string]any)["customer"].(Customer)
	return made, nil
}

// DeleteElsewhere deletes a customer of a merchant as the seller's
// dashboard would, and sends customer.deleted.
func (s *Server) DeleteElsewhere(merchantID, customerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	md, rec, err := s.findCustomer(merchantID, customerID)
	if err != nil {
		return err
	}
	s.deleteRec(md, rec, s.Now())
	return nil
}

// RevokeByMerchant ends every application's authorization by a merchant,
// as a seller does in Square's dashboard, and sends
// oauth.authorization.revoked (revoker MERCHANT) for each application whose
// authorization was live. Personal access tokens are not affected.
func (s *Server) RevokeByMerchant(merchantID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[merchantID] == nil {
		return fmt.Errorf("%w %q", ErrUnknownMerchant, merchantID)
	}
	now := s.Now()
	clients := make([]string, 0, len(s.apps))
	for id := range s.apps {
		clients = append(clients, id)
	}
	slices.Sort(clients)
	for _, id := range clients {
		if s.endAuthorization(id, merchantID) {
			s.emitRevoked(id, merchantID, RevokerMerchant, now)
		}
	}
	return nil
}

// findCustomer finds a customer of a merchant; merchantID "" searches
// every merchant. Callers hold s.mu.
func (s *Server) findCustomer(merchantID, customerID string) (*merchantData, *customerRec, error) {
	for _, md := range s.merchants {
		if merchantID != "" && md.Merchant.ID != merchantID {
			continue
		}
		if rec := md.customers.get(customerID); rec != nil {
			return md, rec, nil
		}
	}
	if merchantID != "" && s.byID[merchantID] == nil {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownMerchant, merchantID)
	}
	return nil, nil, fmt.Errorf("%w %q", ErrUnknownCustomer, customerID)
}

// deepCopy copies a customer with its own address, preferences, tax ids
// and group ids, so a change cannot reach the stored one.
func deepCopy(c *Customer) Customer {
	out := *c
	if c.Address != nil {
		a := *c.Address
		out.Address = &a
	}
	if c.Preferences != nil {
		p := *c.Preferences
		out.Preferences = &p
	}
	if c.TaxIDs != nil {
		t := *c.TaxIDs
		out.TaxIDs = &t
	}
	out.GroupIDs = slices.Clone(c.GroupIDs)
	out.SegmentIDs = slices.Clone(c.SegmentIDs)
	out.Cards = slices.Clone(c.Cards)
	return out
}

// The controls for changes made elsewhere. They answer Square's error
// shape, so a test reads a refusal as it reads the API's.

// adminChangeCustomer applies a sparse update, in UpdateCustomer's form, to
// the customer of the path, whichever merchant has it.
func (s *Server) adminChangeCustomer(w http.ResponseWriter, hr *http.Request) {
	r, e := s.newRequest(hr)
	if e != nil {
		writeError(w, e)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &fields); err != nil || fields == nil {
		writeError(w, badRequest("EXPECTED_JSON_BODY", "", "The body must be a JSON object of the fields to change, as UpdateCustomer takes them."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	md, rec, err := s.findCustomer("", hr.PathValue("customer_id"))
	if err != nil {
		writeError(w, customerNotFound(hr.PathValue("customer_id")))
		return
	}
	r.Merchant = md
	if e := s.commitUpdate(r, rec, fields); e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": viewOf(md, rec)})
}

// adminDeleteCustomer deletes the customer of the path.
func (s *Server) adminDeleteCustomer(w http.ResponseWriter, hr *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := hr.PathValue("customer_id")
	md, rec, err := s.findCustomer("", id)
	if err != nil {
		writeError(w, customerNotFound(id))
		return
	}
	s.deleteRec(md, rec, s.Now())
	writeJSON(w, http.StatusOK, map[string]any{})
}

// adminCreateCustomer adds a customer, in CreateCustomer's form, to the
// merchant of the path.
func (s *Server) adminCreateCustomer(w http.ResponseWriter, hr *http.Request) {
	r, e := s.newRequest(hr)
	if e != nil {
		writeError(w, e)
		return
	}
	var in customerInput
	if e := r.decode(&in); e != nil {
		writeError(w, e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := hr.PathValue("merchant_id")
	md := s.byID[id]
	if md == nil {
		writeError(w, notFound("Merchant with ID `"+id+"` not found."))
		return
	}
	r.Merchant = md
	out, e := s.newCustomer(r, &in, creationSourceDirectory)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// adminRevokeByMerchant ends every authorization of the merchant of the
// path, as the seller would in Square's dashboard.
func (s *Server) adminRevokeByMerchant(w http.ResponseWriter, hr *http.Request) {
	id := hr.PathValue("merchant_id")
	if err := s.RevokeByMerchant(id); err != nil {
		writeError(w, notFound("Merchant with ID `"+id+"` not found."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}
