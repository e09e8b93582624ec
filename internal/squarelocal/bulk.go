package squarelocal

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// BulkCreateCustomers and BulkUpdateCustomers of Square's Customers API: a map
// of 1 to 100 entries in, a map of per-entry answers out. The call answers
// 200 whenever it ran, each entry with its customer or its own errors; a
// top-level error (and a 400) is only for a request that cannot run at all.
// The emulator's choices where Square is silent:
//
//   - An empty map is 400 VALUE_EMPTY, one of more than 100 entries 400
//     TOO_MANY_MAP_ENTRIES, both on the field customers; an empty map key
//     is 400 MAP_KEY_LENGTH_TOO_SHORT.
//   - Entries run in the order of their keys, so the ids they get are
//     repeatable; one entry's failure does not stop the others.
//   - Each key of BulkCreateCustomers is an idempotency key, scoped to
//     this endpoint: repeating it with the same data answers the customer
//     it made, with other data IDEMPOTENCY_KEY_REUSED for that entry.
//   - An entry of BulkUpdateCustomers is an UpdateCustomer of that id:
//     sparse, version-checked (VERSION_MISMATCH), validated alike.

// maxBulkEntries is Square's limit on the maps of both bulk calls.
const maxBulkEntries = 100

// bulkKeys checks the size and keys of a bulk map and returns its keys in
// order.
func bulkKeys[V any](m map[string]V, present bool) ([]string, *apiError) {
	switch {
	case !present:
		return nil, badRequest("MISSING_REQUIRED_PARAMETER", "customers", "Field `customers` is required.")
	case len(m) == 0:
		return nil, badRequest("VALUE_EMPTY", "customers", "Field `customers` must have at least 1 entry.")
	case len(m) > maxBulkEntries:
		return nil, badRequest("TOO_MANY_MAP_ENTRIES", "customers", fmt.Sprintf("Field `customers` must have at most %d entries.", maxBulkEntries))
	}
	if _, ok := m[""]; ok {
		return nil, badRequest("MAP_KEY_LENGTH_TOO_SHORT", "customers", "The keys of `customers` must not be empty.")
	}
	return slices.Sorted(maps.Keys(m)), nil
}

// bulkAnswer is one entry of a bulk answer: the entry's own JSON, or its
// errors.
func bulkAnswer(out any, e *apiError) any {
	if e != nil {
		return bulkItem{Errors: e.Errors}
	}
	return out
}

func (s *Server) bulkCreateCustomers(r *request) (any, *apiError) {
	var in struct {
		Customers map[string]customerInput `json:"customers"`
	}
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	keys, e := bulkKeys(in.Customers, in.Customers != nil)
	if e != nil {
		return nil, e
	}
	out := make(map[string]any, len(keys))
	for _, key := range keys {
		item := in.Customers[key]
		// The entry has no idempotency_key of its own: its key is one.
		item.IdempotencyKey = ""
		out[key] = bulkAnswer(s.idempotent(r, "BulkCreateCustomers", key, item, func() (any, *apiError) {
			return s.newCustomer(r, &item, creationSourceThirdParty)
		}))
	}
	return map[string]any{"responses": out}, nil
}

func (s *Server) bulkUpdateCustomers(r *request) (any, *apiError) {
	var in struct {
		Customers map[string]map[string]json.RawMessage `json:"customers"`
	}
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	ids, e := bulkKeys(in.Customers, in.Customers != nil)
	if e != nil {
		return nil, e
	}
	out := make(map[string]any, len(ids))
	for _, id := range ids {
		rec := r.Merchant.customers.get(id)
		if rec == nil {
			out[id] = bulkItem{Errors: itemNotFound(id)}
			continue
		}
		fields := in.Customers[id]
		if fields == nil {
			fields = map[string]json.RawMessage{}
		}
		if e := s.commitUpdate(r, rec, fields); e != nil {
			out[id] = bulkItem{Errors: e.Errors}
			continue
		}
		c := customerView(r, rec)
		out[id] = bulkItem{Customer: &c}
	}
	return map[string]any{"responses": out}, nil
}
