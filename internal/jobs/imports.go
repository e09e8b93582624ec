package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// An import job creates and updates the customers of a CSV file: each item
// is a row with its request. Rows go 100 to a BulkCreateCustomers or
// BulkUpdateCustomers call, Workers calls in flight. A row is Done only
// when Square answered for it; a call whose outcome is unknown (a timeout,
// a 5xx, a dropped connection) leaves its rows pending and is sent again:
// a create's idempotency key (the file's hash and the row's line) makes
// Square answer the customer it made the first time, and an update sets
// the same values again. So a restart, a retry or a second start never
// makes a customer twice, and the job's record of which rows are in Square
// is exact at every moment.

// ImportRequest is an import item's payload.
type ImportRequest struct {
	// Key is a create's idempotency key.
	Key    string                        `json:"key,omitempty"`
	Create *square.CreateCustomerRequest `json:"create,omitempty"`
	Update *square.UpdateCustomerRequest `json:"update,omitempty"`
}

// Payload encodes the request for Item.Payload.
func (q ImportRequest) Payload() string {
	b, err := json.Marshal(q)
	if err != nil {
		panic(err) // plain structs always encode
	}
	return string(b)
}

// transientTries is how often a call whose outcome is unknown is sent
// before the job pauses (its rows stay pending; Run resumes it within a
// minute, the job's page at once).
const transientTries = 5

// errSquareDown stops a run whose calls kept failing; the job resumes.
var errSquareDown = errors.New("jobs: Square kept failing; the import resumes later")

// runImport sends the pending rows, then puts the customers in the group.
func (r *Runner) runImport(ctx context.Context, j *task, api API) error {
	per := r.o.Workers * square.MaxBulk
	for {
		items, err := r.store.Items(ctx, j.ID, Pending, per)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			break
		}
		if err := r.importItems(ctx, j, api, items); err != nil {
			return err
		}
	}
	if j.GroupID != "" {
		if err := r.groupImported(ctx, j, api); err != nil {
			return err
		}
	}
	return j.fenced(r.store.Finish(ctx, j.lease, r.o.Now()))
}

// importItems sends the items in calls of 100, creates and updates apart,
// Workers calls in flight.
func (r *Runner) importItems(ctx context.Context, j *task, api API, items []Item) error {
	var creates, updates []Item
	for _, it := range items {
		if it.Action == ActionUpdate {
			updates = append(updates, it)
		} else {
			creates = append(creates, it)
		}
	}
	var chunks [][]Item
	for _, list := range [][]Item{creates, updates} {
		for start := 0; start < len(list); start += square.MaxBulk {
			chunks = append(chunks, list[start:min(start+square.MaxBulk, len(list))])
		}
	}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.o.Workers)
	for _, chunk := range chunks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.importChunk(ctx, j, api, chunk); err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// importChunk makes one bulk call for up to 100 rows of one action and
// records each row's answer.
func (r *Runner) importChunk(ctx context.Context, j *task, api API, chunk []Item) error {
	reqs := make([]ImportRequest, len(chunk))
	bad := map[int]bool{}
	creates := map[string]square.CreateCustomerRequest{}
	updates := map[string]square.UpdateCustomerRequest{}
	for i, it := range chunk {
		if err := json.Unmarshal([]byte(it.Payload), &reqs[i]); err != nil || (reqs[i].Create == nil && reqs[i].Update == nil) {
			bad[i] = true
			continue
		}
		if it.Action == ActionUpdate {
			updates[it.CustomerID] = *reqs[i].Update
		} else {
			creates[reqs[i].Key] = *reqs[i].Create
		}
	}
	var res map[string]square.BulkResult
	var err error
	if len(creates)+len(updates) > 0 {
		err = r.settle(ctx, func() error {
			var err error
			if len(updates) > 0 {
				res, err = api.BulkUpdate(ctx, updates)
			} else {
				res, err = api.BulkCreate(ctx, creates)
			}
			return err
		})
	}
	if err != nil && !square.IsRefused(err) {
		// Stopping, the token ended, or Square kept failing: the rows
		// stay pending, and sending them again is safe.
		return err
	}
	wctx := context.WithoutCancel(ctx)
	var changed []*square.Customer
	unanswered := 0
	for i, it := range chunk {
		key := it.CustomerID
		if it.Action != ActionUpdate {
			key = reqs[i].Key
		}
		state, reason, id := Failed, "", it.CustomerID
		item, ok := res[key]
		switch {
		case bad[i]:
			reason = "Tessera could not read this row's request; import the row again."
		case err != nil:
			reason = importReason(err)
		case !ok || (item.Err == nil && item.Customer == nil):
			// Square answers every entry; one missing is unknown, and
			// sending it again is safe.
			unanswered++
			continue
		case item.Err != nil:
			reason = importReason(item.Err)
		default:
			state, id = Done, item.Customer.ID
			changed = append(changed, item.Customer)
		}
		if err := j.fenced(r.store.MarkImported(wctx, j.lease, it.Seq, state, reason, id)); err != nil {
			return err
		}
	}
	if r.o.Index != nil && len(changed) > 0 {
		r.indexImported(ctx, j, changed)
	}
	if unanswered > 0 {
		return errSquareDown
	}
	return nil
}

// indexBatch is an index that stores many customers in one transaction.
type indexBatch interface {
	PutAll(ctx context.Context, merchantID string, cs []index.Customer, sync func(*index.SyncState) error) (int, error)
}

// indexImported puts the customers of Square's answer, as they now are,
// into the index without another call, so that the directory and the open
// pages show them at once: a call's 100 in one transaction when it can.
func (r *Runner) indexImported(ctx context.Context, j *task, changed []*square.Customer) {
	ictx := index.WithOrigin(ctx, index.OriginTessera)
	if b, ok := r.o.Index.(indexBatch); ok {
		cs := make([]index.Customer, len(changed))
		for i, c := range changed {
			cs[i] = index.FromSquare(c)
		}
		if _, err := b.PutAll(ictx, j.MerchantID, cs, nil); err != nil {
			r.o.Logger.WarnContext(ctx, "the index did not take imported customers", slog.Any("err", err))
		}
		return
	}
	for _, c := range changed {
		if _, err := r.o.Index.Put(ictx, j.MerchantID, index.FromSquare(c)); err != nil {
			r.o.Logger.WarnContext(ctx, "the index did not take an imported customer", slog.Any("err", err))
		}
	}
}

// settle makes a call until Square answers it: Retry-After is waited out
// (patiently), and a failure whose outcome is unknown is tried again after
// 1, 2, 4 and 8 seconds before the job pauses.
func (r *Runner) settle(ctx context.Context, call func() error) error {
	wait := time.Second
	for try := 1; ; try++ {
		err := r.patiently(ctx, call)
		if err == nil || square.IsRefused(err) || square.IsAuth(err) || ctx.Err() != nil {
			return err
		}
		if try == transientTries {
			r.o.Logger.WarnContext(ctx, "Square kept failing an import's call", slog.Any("err", err))
			return errSquareDown
		}
		if err := r.o.Sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

// groupImported adds the imported customers to the job's group, Workers
// calls in flight; adding one twice changes nothing, so a resumed job
// just goes on.
func (r *Runner) groupImported(ctx context.Context, j *task, api API) error {
	for {
		items, err := r.store.Ungrouped(ctx, j.ID, batch)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		err = r.each(ctx, items, func(it Item) error {
			err := r.patiently(ctx, func() error { return api.AddToGroup(ctx, it.CustomerID, j.GroupID) })
			grouped, reason := 1, ""
			if err != nil {
				if ctx.Err() != nil || square.IsAuth(err) || !square.IsRefused(err) {
					return err
				}
				grouped, reason = 2, "Imported, but not added to the group: "+reasonOf(err)
			}
			return j.fenced(r.store.MarkGrouped(context.WithoutCancel(ctx), j.lease, it.Seq, grouped, reason))
		})
		if err != nil {
			return err
		}
	}
}

// importReason says in words why Square did not take a row.
func importReason(err error) string {
	switch {
	case square.IsIdempotencyKeyReused(err):
		return "This row was imported from this file before with other choices; Square kept the first."
	case square.IsNotFound(err):
		return "No customer with this Square customer ID: it may have been deleted."
	case square.IsInvalidRequest(err):
		if code := square.ErrorCode(err); code != "" {
			return "Square refused this row (" + code + "): check its values."
		}
	}
	return reasonOf(err)
}
