// Package indexsync fills the customer index from Square and keeps it
// fresh where webhooks cannot: a full sync, an incremental sync and a
// reconcile of ids.
//
// A full sync splits the time since the seller's first customer into
// created_at ranges and pages several ranges at once through
// SearchCustomers (at most Parallel calls in flight for one merchant), each
// page stored together with its range's cursor, so that a restart carries
// on where it stopped and nothing is stored twice. An incremental sync reads
// what changed since a watermark (less an overlap, since Square's search is
// eventually consistent). A reconcile lists every id Square holds and
// removes from the index those it no longer has: deletions that no webhook
// reported.
//
// Which token the syncs use is the caller's choice (see docs/index.md):
// a Syncer only ever reads with the client it is given, and never refreshes
// a token.
package indexsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/pause"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// Index is what the syncs need of the customer index.
type Index interface {
	PutAll(ctx context.Context, merchantID string, cs []index.Customer, sync func(*index.SyncState) error) (int, error)
	Delete(ctx context.Context, merchantID, customerID string, version int64, at time.Time) (bool, error)
	IDs(ctx context.Context, merchantID string) ([]string, error)
	Get(ctx context.Context, merchantID, customerID string) (index.Customer, error)
	SyncState(ctx context.Context, merchantID string) (index.SyncState, error)
	UpdateSyncState(ctx context.Context, merchantID string, fn func(*index.SyncState) error) error
}

// Customers is what the syncs need of Square: the merchant's customers.
type Customers interface {
	Search(ctx context.Context, body *square.SearchCustomersRequest) (*square.CustomerPage, error)
	List(ctx context.Context, params *square.ListCustomersParams) (*square.CustomerPage, error)
}

// Defaults.
const (
	// DefaultParallel bounds the calls one merchant's full sync has in
	// flight, so that a sync does not take Square's rate limit from the
	// staff using the dashboard.
	DefaultParallel = 4
	// DefaultRanges bounds how many created_at ranges a full sync pages.
	DefaultRanges = 32
	// DefaultOverlap is how far before its watermark an incremental sync
	// reads again: Square's search may show a change some seconds late.
	DefaultOverlap = 2 * time.Minute
	// pageSize is SearchCustomers' largest page.
	pageSize = 100
	// minBatchPages and maxBatchPages bound how many pages the full
	// sync's writer stores in one transaction.
	minBatchPages = 8
	maxBatchPages = 20
	// maxWaits bounds how often one page is tried again after Square asked
	// to slow down or failed; the sync stops there and resumes later.
	maxWaits = 8
	// maxWait bounds one wait, whatever Retry-After says.
	maxWait = 30 * time.Second
)

// Options configure a Syncer; the zero value of each field is its default.
type Options struct {
	Parallel int
	Ranges   int
	Overlap  time.Duration
	// Now is the clock, time.Now by default.
	Now func() time.Time
	// Sleep waits for d or until ctx ends; tests make it instant.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

// Syncer runs the syncs. It is safe for concurrent use, one sync of a kind
// per merchant at a time being the caller's to ensure.
type Syncer struct {
	index    Index
	parallel int
	ranges   int
	overlap  time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
}

// New returns a Syncer storing into ix.
func New(ix Index, o Options) *Syncer {
	s := &Syncer{index: ix, parallel: o.Parallel, ranges: o.Ranges, overlap: o.Overlap, now: o.Now, sleep: o.Sleep, log: o.Logger}
	if s.parallel <= 0 {
		s.parallel = DefaultParallel
	}
	if s.ranges <= 0 {
		s.ranges = DefaultRanges
	}
	if s.overlap <= 0 {
		s.overlap = DefaultOverlap
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = pause.For
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Full runs a full sync of the merchant, or carries on with the one in
// progress: ranges already done are skipped, the others resume from their
// cursors. When it returns nil the index holds every customer Square
// listed, and the state says so (SyncState.Ready).
func (s *Syncer) Full(ctx context.Context, merchantID string, sq Customers) error {
	st, err := s.index.SyncState(ctx, merchantID)
	if err != nil {
		return err
	}
	if len(st.Ranges) == 0 || st.Ready() {
		if err := s.startFull(ctx, merchantID, sq); err != nil {
			return err
		}
		if st, err = s.index.SyncState(ctx, merchantID); err != nil {
			return err
		}
	}
	if err := s.pageRanges(ctx, merchantID, sq, st); err != nil {
		return err
	}
	done := s.now()
	err = s.index.UpdateSyncState(ctx, merchantID, func(st *index.SyncState) error {
		for _, r := range st.Ranges {
			if !r.Done {
				return fmt.Errorf("indexsync: range %s to %s is not done", r.From, r.To)
			}
		}
		st.FullSyncDone = done
		if st.Watermark.IsZero() || st.Watermark.Before(st.FullSyncStarted) {
			// Changes made while the full sync ran are read by the next
			// incremental sync.
			st.Watermark = st.FullSyncStarted
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.compact(ctx, merchantID)
	return nil
}

// compacter is an index whose storage a full sync leaves in pieces that
// searches read one by one (the SQLite index's full-text segments).
type compacter interface {
	Compact(ctx context.Context) error
}

// compact merges those pieces after a full sync, when the index has them.
// The sync is done and the index answers either way, only slower, so a
// failure is logged rather than returned.
func (s *Syncer) compact(ctx context.Context, merchantID string) {
	c, ok := s.index.(compacter)
	if !ok {
		return
	}
	start := s.now()
	if err := c.Compact(ctx); err != nil {
		s.log.WarnContext(ctx, "index: compacting after the full sync failed; searches stay correct, only slower", "merchant_id", merchantID, "error", err)
		return
	}
	s.log.InfoContext(ctx, "index: compacted after the full sync", "merchant_id", merchantID, "took", s.now().Sub(start))
}

// Restart forgets the merchant's full sync, so that the next Full starts a
// new one (the index's rows stay until they are replaced or reconciled).
func (s *Syncer) Restart(ctx context.Context, merchantID string) error {
	return s.index.UpdateSyncState(ctx, merchantID, func(st *index.SyncState) error {
		st.Ranges, st.Expected = nil, 0
		st.FullSyncStarted, st.FullSyncDone = s.now(), time.Time{}
		return nil
	})
}

// startFull records a new full sync: ranges of created_at that hold
// similar numbers of customers, and how many customers Square expects, for
// progress. Sellers' customers bunch in time (an import, a busy season), so
// even slices of time would leave one range with most of the pages and the
// sync without parallelism: a range over its share is halved, counted
// again, until each holds about a share.
func (s *Syncer) startFull(ctx context.Context, merchantID string, sq Customers) error {
	start := s.now()
	// What is created while the sync runs is the incremental sync's, but a
	// minute of slack keeps a slow clock from losing the newest.
	end := start.Add(time.Minute)
	first, err := s.search(ctx, sq, &square.SearchCustomersRequest{Limit: 1, Count: true, Query: &square.CustomerQuery{
		Sort: &square.CustomerSort{Field: square.CustomerSortCreatedAt, Order: square.SortAscending},
	}})
	if err != nil {
		return err
	}
	total := 0
	if first.Count != nil {
		total = int(*first.Count)
	}
	from := end.Add(-time.Second)
	if len(first.Customers) > 0 && first.Customers[0].CreatedAt.Before(from) {
		from = first.Customers[0].CreatedAt.Time
	}
	ranges, err := s.split(ctx, sq, index.SyncRange{From: from, To: end}, total)
	if err != nil {
		return err
	}
	return s.index.UpdateSyncState(ctx, merchantID, func(st *index.SyncState) error {
		st.Ranges, st.Expected, st.FullSyncStarted = ranges, total, start
		return nil
	})
}

// split halves r, which holds n customers, until every range holds about
// its share of the merchant's customers, counting each left half at Square.
func (s *Syncer) split(ctx context.Context, sq Customers, r index.SyncRange, n int) ([]index.SyncRange, error) {
	share := max(5*pageSize, n/(4*s.parallel))
	type counted struct {
		r index.SyncRange
		n int
	}
	todo := []counted{{r, n}}
	var out []index.SyncRange
	for len(todo) > 0 && len(out)+len(todo) < s.ranges {
		c := todo[0]
		todo = todo[1:]
		if c.n <= share || c.r.To.Sub(c.r.From) < 2*time.Second {
			out = append(out, c.r)
			continue
		}
		mid := c.r.From.Add(c.r.To.Sub(c.r.From) / 2).Truncate(time.Millisecond)
		left := index.SyncRange{From: c.r.From, To: mid}
		page, err := s.search(ctx, sq, rangeRequest(left, "", 1, true))
		if err != nil {
			return nil, err
		}
		ln := 0
		if page.Count != nil {
			ln = int(*page.Count)
		}
		todo = append(todo, counted{left, ln}, counted{index.SyncRange{From: mid, To: c.r.To}, max(c.n-ln, 0)})
	}
	for _, c := range todo {
		out = append(out, c.r)
	}
	slices.SortFunc(out, func(a, b index.SyncRange) int { return a.From.Compare(b.From) })
	return out, nil
}

// rangeRequest is the SearchCustomers request of one page of a range, in
// the order customers were created.
func rangeRequest(r index.SyncRange, cursor string, limit int64, count bool) *square.SearchCustomersRequest {
	return &square.SearchCustomersRequest{
		Cursor: cursor, Limit: limit, Count: count,
		Query: &square.CustomerQuery{
			// Both ends are included (docs/square.md#searching-customers),
			// so a range ends just before the next one starts.
			Filter: &square.CustomerFilter{CreatedAt: &square.TimeRange{StartAt: r.From, EndAt: r.To.Add(-time.Millisecond)}},
			Sort:   &square.CustomerSort{Field: square.CustomerSortCreatedAt, Order: square.SortAscending},
		},
	}
}

// rangePage is one page of a range as read from Square, with the cursor
// of the page after it ("" at the range's end).
type rangePage struct {
	i    int
	r    index.SyncRange
	cs   []index.Customer
	next string
}

// pageRanges reads the ranges not done to their ends and stores what they
// hold. Up to Parallel readers page through ranges at once while one
// writer stores their pages: the database has one writer anyway, and
// reading the next pages while it writes keeps Square's latency and the
// writes from adding up. Each page is stored with its range's cursor in
// the same transaction, in the order its range was read, so a restart
// carries on from the last page stored and stores nothing twice; pages
// read but not yet stored are read again.
func (s *Syncer) pageRanges(ctx context.Context, merchantID string, sq Customers, st index.SyncState) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}

	work := make(chan int)
	pages := make(chan rangePage, 4*s.parallel)
	var readers sync.WaitGroup
	for range s.parallel {
		readers.Go(func() {
			for i := range work {
				if err := s.readRange(ctx, sq, i, st.Ranges[i], pages); err != nil {
					fail(err)
				}
			}
		})
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		if err := s.storePages(ctx, merchantID, pages); err != nil {
			fail(err)
		}
	}()
feed:
	for i, r := range st.Ranges {
		if r.Done {
			continue
		}
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	readers.Wait()
	close(pages)
	<-writerDone
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// readRange reads range i from its cursor to its end, handing each page to
// the writer.
func (s *Syncer) readRange(ctx context.Context, sq Customers, i int, r index.SyncRange, pages chan<- rangePage) error {
	next := r.Cursor
	for {
		page, err := s.search(ctx, sq, rangeRequest(r, next, pageSize, false))
		if err != nil {
			return err
		}
		p := rangePage{i: i, r: r, next: page.Cursor, cs: make([]index.Customer, len(page.Customers))}
		for j := range page.Customers {
			p.cs[j] = index.FromSquare(&page.Customers[j])
		}
		select {
		case pages <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
		if page.Cursor == "" {
			return nil
		}
		next = page.Cursor
	}
}

// storePages is the full sync's one writer: it stores the readers' pages
// until they are all read. Several pages go into one transaction, since
// each commit rewrites the full-text index's pages it touched: fewer,
// larger commits cost the database a fraction of the writes. It waits for
// minBatchPages pages (or the last ones) before it writes, and takes at
// most maxBatchPages. When the readers stop, for the end or a failure,
// it stores what they read and returns.
func (s *Syncer) storePages(ctx context.Context, merchantID string, pages <-chan rangePage) error {
	batch := make([]rangePage, 0, maxBatchPages)
	open := true
	for open {
		batch = batch[:0]
		for open && len(batch) < minBatchPages {
			p, ok := <-pages
			if !ok {
				open = false
				break
			}
			batch = append(batch, p)
		}
	drain:
		for open && len(batch) < maxBatchPages {
			select {
			case p, ok := <-pages:
				if !ok {
					open = false
					break drain
				}
				batch = append(batch, p)
			default:
				break drain
			}
		}
		if len(batch) == 0 {
			break
		}
		// Pages read before the sync was cut short are stored all the
		// same: they are whole, and the restart need not read them again.
		if err := s.storeBatch(context.WithoutCancel(ctx), merchantID, batch); err != nil {
			return err
		}
	}
	return nil
}

// storeBatch stores pages, in the order read, and moves each range's
// cursor past its pages, in one transaction.
func (s *Syncer) storeBatch(ctx context.Context, merchantID string, batch []rangePage) error {
	n := 0
	for _, p := range batch {
		n += len(p.cs)
	}
	cs := make([]index.Customer, 0, n)
	for _, p := range batch {
		cs = append(cs, p.cs...)
	}
	// A full copy is not a change anyone made: watchers are not told.
	_, err := s.index.PutAll(index.WithOrigin(ctx, index.OriginFullSync), merchantID, cs, func(st *index.SyncState) error {
		for _, p := range batch {
			// A rebuild may have started meanwhile: its ranges are not
			// this sync's to advance, and the pages are left for it to read.
			if p.i >= len(st.Ranges) || !st.Ranges[p.i].From.Equal(p.r.From) || !st.Ranges[p.i].To.Equal(p.r.To) {
				return ErrRestarted
			}
			rr := &st.Ranges[p.i]
			rr.Cursor, rr.Done = p.next, p.next == ""
			rr.Indexed += len(p.cs)
		}
		return nil
	})
	return err
}

// search calls SearchCustomers, waiting as Square asks when it answers 429
// (its Retry-After, capped) and backing off on a 5xx, a few times, beyond
// the client's own retries: a sync has time to wait, a page view does not.
func (s *Syncer) search(ctx context.Context, sq Customers, req *square.SearchCustomersRequest) (*square.CustomerPage, error) {
	wait := time.Second
	for attempt := 0; ; attempt++ {
		page, err := sq.Search(ctx, req)
		if err == nil {
			return page, nil
		}
		if attempt >= maxWaits || !(square.IsRateLimited(err) || square.IsServerError(err)) {
			return nil, err
		}
		d := min(wait, maxWait)
		if ra := square.RetryAfter(err); ra > 0 {
			d = min(ra, maxWait)
		}
		s.log.InfoContext(ctx, "the index sync waits for Square", slog.Duration("wait", d), slog.Any("err", err))
		if err := s.sleep(ctx, d); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// Incremental stores what changed at Square since the watermark, less the
// overlap, and moves the watermark to when this sync started. It needs a
// full sync done first.
func (s *Syncer) Incremental(ctx context.Context, merchantID string, sq Customers) error {
	st, err := s.ready(ctx, merchantID)
	if err != nil {
		return err
	}
	start := s.now()
	from := st.Watermark.Add(-s.overlap)
	req := &square.SearchCustomersRequest{Limit: pageSize, Query: &square.CustomerQuery{
		Filter: &square.CustomerFilter{UpdatedAt: &square.TimeRange{StartAt: from}},
	}}
	for {
		page, err := s.search(ctx, sq, req)
		if err != nil {
			return err
		}
		cs := make([]index.Customer, len(page.Customers))
		for j := range page.Customers {
			cs[j] = index.FromSquare(&page.Customers[j])
		}
		if _, err := s.index.PutAll(ctx, merchantID, cs, nil); err != nil {
			return err
		}
		if page.Cursor == "" {
			break
		}
		req.Cursor = page.Cursor
	}
	return s.index.UpdateSyncState(ctx, merchantID, func(st *index.SyncState) error {
		if start.After(st.Watermark) {
			st.Watermark = start
		}
		st.LastIncremental = start
		return nil
	})
}

// ready returns the merchant's sync state, or ErrNotReady before its first
// full sync has completed.
func (s *Syncer) ready(ctx context.Context, merchantID string) (index.SyncState, error) {
	st, err := s.index.SyncState(ctx, merchantID)
	if err == nil && !st.Ready() {
		err = ErrNotReady
	}
	return st, err
}

// ErrNotReady is returned by Incremental and Reconcile before the first
// full sync has completed.
var ErrNotReady = errors.New("indexsync: no full sync has completed")

// ErrRestarted is returned by a full sync whose state was reset under it
// (Restart, for a rebuild): the new full sync takes over.
var ErrRestarted = errors.New("indexsync: the full sync was restarted")

// Reconcile removes from the index every customer Square no longer lists:
// deletions no webhook reported. A customer created since the listing
// began may be missing from it, so only those indexed before are removed.
func (s *Syncer) Reconcile(ctx context.Context, merchantID string, sq Customers) error {
	if _, err := s.ready(ctx, merchantID); err != nil {
		return err
	}
	start := s.now()
	indexed, err := s.index.IDs(ctx, merchantID)
	if err != nil {
		return err
	}
	atSquare := make(map[string]bool, len(indexed))
	params := &square.ListCustomersParams{Limit: pageSize}
	// A customer Tessera created or a webhook reported moments ago may not
	// be listed yet (Square's listing is eventually consistent): only those
	// older than the overlap can be judged gone.
	settled := start.Add(-s.overlap)
	for {
		page, err := sq.List(ctx, params)
		if err != nil {
			return err
		}
		for _, c := range page.Customers {
			atSquare[c.ID] = true
		}
		if page.Cursor == "" {
			break
		}
		params.Cursor = page.Cursor
	}
	removed := 0
	for _, id := range indexed {
		if atSquare[id] {
			continue
		}
		c, err := s.index.Get(ctx, merchantID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if c.UpdatedAt.After(settled) || c.CreatedAt.After(settled) {
			continue
		}
		// Version 0: the delete's version is unknown, so a newer update
		// delivered later still wins over it.
		applied, err := s.index.Delete(ctx, merchantID, id, 0, start)
		if err != nil {
			return err
		}
		if applied {
			removed++
		}
	}
	if removed > 0 {
		s.log.InfoContext(ctx, "the reconcile removed customers Square no longer has", slog.String("merchant", merchantID), slog.Int("removed", removed))
	}
	return s.index.UpdateSyncState(ctx, merchantID, func(st *index.SyncState) error {
		st.LastReconcile = start
		return nil
	})
}
