package square

import (
	"context"
	"fmt"
	"net/http"
)

// MaxBulk is Square's limit on the entries of one bulk call (at least 1).
const MaxBulk = 100

// BulkResult is one entry of a bulk answer: Square answers 200 for the call
// and reports each entry on its own, so an entry holds its customer (none
// for a delete) or the error Square gave for it alone.
type BulkResult struct {
	Customer *Customer
	Err      *Error
}

// bulkItem is an entry as Square sends it.
type bulkItem struct {
	Customer *Customer     `json:"customer"`
	Errors   []ErrorDetail `json:"errors"`
}

// bulkResults turns Square's map of entries into BulkResults; an entry's
// error carries the call's method and path and no status, as it came in a
// 200.
func bulkResults(req *request, in map[string]bulkItem) map[string]BulkResult {
	out := make(map[string]BulkResult, len(in))
	for k, item := range in {
		r := BulkResult{Customer: item.Customer}
		if len(item.Errors) > 0 {
			r.Err = newError(0, item.Errors)
			r.Err.Method, r.Err.Path = req.Method, req.URL.Path
		}
		out[k] = r
	}
	return out
}

// bulkIDs is a bulk call by customer ids.
func (s *CustomersService) bulkIDs(ctx context.Context, path string, ids []string, readOnly bool) (map[string]BulkResult, error) {
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, fmt.Errorf("square: %s needs 1 to %d ids, got %d", path, MaxBulk, len(ids))
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, path, struct {
		IDs []string `json:"customer_ids"`
	}{ids})
	if err != nil {
		return nil, err
	}
	req.retrySafe = readOnly
	var out struct {
		Responses map[string]bulkItem `json:"responses"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	return bulkResults(req, out.Responses), nil
}

// BulkGet returns up to 100 customers by id, each id with its customer or
// its own error (NOT_FOUND for one that is gone).
func (s *CustomersService) BulkGet(ctx context.Context, ids []string) (map[string]BulkResult, error) {
	return s.bulkIDs(ctx, "v2/customers/bulk-retrieve", ids, true)
}

// BulkDelete deletes up to 100 customers; each id answers with no error
// when it was deleted, or with its own error. It is not retried, as a
// second call would report the deleted ones as not found.
func (s *CustomersService) BulkDelete(ctx context.Context, ids []string) (map[string]BulkResult, error) {
	return s.bulkIDs(ctx, "v2/customers/bulk-delete", ids, false)
}

// BulkCreate creates up to 100 customers. Each key of the map is the
// entry's idempotency key, so the call is retried on transient failures
// and a repeat answers the customers made the first time.
func (s *CustomersService) BulkCreate(ctx context.Context, customers map[string]CreateCustomerRequest) (map[string]BulkResult, error) {
	if len(customers) == 0 || len(customers) > MaxBulk {
		return nil, fmt.Errorf("square: BulkCreate needs 1 to %d customers, got %d", MaxBulk, len(customers))
	}
	body := make(map[string]CreateCustomerRequest, len(customers))
	for k, c := range customers {
		c.IdempotencyKey = "" // the key of the map is the entry's key
		body[k] = c
	}
	return s.bulkMap(ctx, "v2/customers/bulk-create", body, true)
}

// BulkUpdate applies up to 100 sparse updates, keyed by customer id. An
// entry with a Version is refused alone (VERSION_MISMATCH) if its customer
// changed. It is never retried, like Update.
func (s *CustomersService) BulkUpdate(ctx context.Context, updates map[string]UpdateCustomerRequest) (map[string]BulkResult, error) {
	if len(updates) == 0 || len(updates) > MaxBulk {
		return nil, fmt.Errorf("square: BulkUpdate needs 1 to %d customers, got %d", MaxBulk, len(updates))
	}
	return s.bulkMap(ctx, "v2/customers/bulk-update", updates, false)
}

func (s *CustomersService) bulkMap(ctx context.Context, path string, customers any, retrySafe bool) (map[string]BulkResult, error) {
	req, err := s.client.newRequest(ctx, http.MethodPost, path, struct {
		Customers any `json:"customers"`
	}{customers})
	if err != nil {
		return nil, err
	}
	req.retrySafe = retrySafe
	var out struct {
		Responses map[string]bulkItem `json:"responses"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	return bulkResults(req, out.Responses), nil
}
