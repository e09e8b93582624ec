package squarelocal

// Webhooks (docs/square.md#webhooks): the emulator sends Square's event
// notifications for every change it makes to a customer, and
// oauth.authorization.revoked when an authorization ends, to every
// subscription, signed and retried as Square does. Where Square is silent,
// the choices are ours:
//
//   - Seeded customers are data that existed before anyone subscribed, so
//     seeding sends no events (Square does not replay history to a new
//     subscription either).
//   - customer.created and customer.updated carry the customer without
//     segment_ids and cards; customer.deleted carries it without group_ids,
//     segment_ids, created_at and updated_at, with "deleted": true in data,
//     as Square's own example of that event does.
//   - Changes of group membership are attribute changes and send
//     customer.updated; cards, as on Square, send no customer event.
//   - Each subscription has one goroutine that sends one delivery at a
//     time, earliest due first. A failed delivery waits for its retry
//     without holding back the events after it, so, as on Square, order
//     is not guaranteed.
//   - Retries follow Square's published schedule unless the subscription
//     gives its own (tests use milliseconds). The emulator's clock
//     (Advance) does not move it: deliveries run on the wall clock.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Event types the emulator sends.
const (
	EventCustomerCreated = "customer.created"
	EventCustomerUpdated = "customer.updated"
	EventCustomerDeleted = "customer.deleted"
	EventOAuthRevoked    = "oauth.authorization.revoked"
)

// Revoker types of oauth.authorization.revoked.
const (
	RevokerApplication = "APPLICATION"
	RevokerMerchant    = "MERCHANT"
	RevokerSquare      = "SQUARE"
)

// Headers of a delivery, as Square names them.
const (
	HeaderSignature       = "X-Square-Hmacsha256-Signature"
	HeaderInitialDelivery = "Square-Initial-Delivery-Timestamp"
	HeaderRetryNumber     = "Square-Retry-Number"
	HeaderRetryReason     = "Square-Retry-Reason"
	HeaderEnvironment     = "Square-Environment"
	HeaderSquareVersion   = "Square-Version"
)

// Retry reasons of Square-Retry-Reason.
const (
	RetryReasonTimeout   = "http_timeout"
	RetryReasonHTTPError = "http_error"
	RetryReasonSSLError  = "ssl_error"
	RetryReasonOther     = "other_error"
)

// DefaultDeliveryTimeout is how long a delivery may take before it counts
// as failed: Square's 10 seconds.
const DefaultDeliveryTimeout = 10 * time.Second

// Event is a webhook notification as Square sends it.
type Event struct {
	MerchantID string    `json:"merchant_id"`
	Type       string    `json:"type"`
	EventID    string    `json:"event_id"`
	CreatedAt  string    `json:"created_at"`
	Data       EventData `json:"data"`
}

// EventData is the data of an Event: the type and id of the object the
// event is about, and the object.
type EventData struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	// Deleted is true in customer.deleted.
	Deleted bool        `json:"deleted,omitempty"`
	Object  EventObject `json:"object"`
}

// EventObject holds the customer of a customer event or the revocation of
// oauth.authorization.revoked.
type EventObject struct {
	Customer   *Customer   `json:"customer,omitempty"`
	Revocation *Revocation `json:"revocation,omitempty"`
}

// Revocation is the object of oauth.authorization.revoked.
type Revocation struct {
	RevokedAt   string `json:"revoked_at"`
	RevokerType string `json:"revoker_type"`
}

// SquareRetryDelays returns Square's published retry schedule: the wait
// before each retry of a failed delivery, 1, 2, 4, 8, 16 and 32 minutes,
// then every hour: 78 retries over about 72 hours, as Square publishes.
func SquareRetryDelays() []time.Duration {
	out := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute}
	for range 72 {
		out = append(out, time.Hour)
	}
	return out
}

// Subscription is a webhook subscription: where to send events and the key
// that signs them. On Square a subscription belongs to an application and
// gets the events of every merchant that authorized it.
type Subscription struct {
	// URL is the notification URL: deliveries go there, and it is the
	// first part of the signed message, byte for byte.
	URL string
	// SignatureKey is the subscription's signature key.
	SignatureKey string
	// MerchantID limits the subscription to one merchant's events; ""
	// means every merchant's.
	MerchantID string
	// ClientID limits oauth.authorization.revoked to the authorizations of
	// that application; "" means every application's.
	ClientID string
	// Transport sends the deliveries; nil means http.DefaultTransport. In
	// local mode it can serve them in process, without a socket.
	Transport http.RoundTripper
	// Timeout bounds each delivery; 0 means DefaultDeliveryTimeout.
	Timeout time.Duration
	// RetryDelays is the wait before each retry of a failed delivery; nil
	// means SquareRetryDelays. A delivery that fails once more than there
	// are delays is given up.
	RetryDelays []time.Duration
}

// Errors of Subscribe.
var (
	// ErrInvalidSubscription is returned for a subscription that cannot work.
	ErrInvalidSubscription = errors.New("squarelocal: invalid subscription")
	// ErrClosed is returned by Subscribe after Close.
	ErrClosed = errors.New("squarelocal: the server is closed")
)

func (sub Subscription) validate() error {
	u, err := url.Parse(sub.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: URL %q is not an absolute http or https URL", ErrInvalidSubscription, sub.URL)
	}
	if sub.SignatureKey == "" {
		return fmt.Errorf("%w: the signature key is empty", ErrInvalidSubscription)
	}
	if sub.Timeout < 0 || slices.ContainsFunc(sub.RetryDelays, func(d time.Duration) bool { return d < 0 }) {
		return fmt.Errorf("%w: timeout and retry delays must not be negative", ErrInvalidSubscription)
	}
	return nil
}

// Sign is Square's signature of a delivery: the standard base64 encoding of
// the HMAC-SHA256, keyed by the signature key, of the notification URL
// followed by the raw body.
func Sign(signatureKey, notificationURL string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signatureKey))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// hookSet holds the subscriptions, the delivery faults and the delivery
// log. It has its own lock: events are emitted under s.mu, and deliveries
// run outside it.
type hookSet struct {
	mu     sync.Mutex
	subs   []*subscriber
	nextID int
	faults []*DeliveryFault
	rng    *mrand.Rand
	log    []Delivery
	// closed is set by Close; no subscription starts after it.
	closed bool
	// wg counts the subscribers' goroutines, so Close can wait for them.
	wg sync.WaitGroup
}

// subscriber is one subscription with its queue and goroutine.
type subscriber struct {
	id     string
	sub    Subscription
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	queue []*delivery // waiting to be sent
	held  []*delivery // held back by a reorder fault
	busy  bool        // an attempt is under way
	seq   int
	wake  chan struct{}
}

// delivery is one event on its way to one subscription.
type delivery struct {
	event   Event
	body    []byte
	due     time.Time
	seq     int
	retry   int    // 0 for the first attempt
	reason  string // why the previous attempt failed
	initial time.Time
	fault   DeliveryFaultKind
	// releaseAt is when a held delivery goes out even if no later event
	// came to overtake it.
	releaseAt time.Time
}

// Subscribe adds a webhook subscription and starts delivering to it. It
// returns the subscription's id, for Unsubscribe and the delivery log.
func (s *Server) Subscribe(sub Subscription) (string, error) {
	if err := sub.validate(); err != nil {
		return "", err
	}
	if sub.Timeout == 0 {
		sub.Timeout = DefaultDeliveryTimeout
	}
	if sub.RetryDelays == nil {
		sub.RetryDelays = SquareRetryDelays()
	}
	sub.RetryDelays = slices.Clone(sub.RetryDelays)
	transport := sub.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	ctx, cancel := context.WithCancel(context.Background())
	sb := &subscriber{
		sub: sub,
		// Square follows no redirect: a 3xx is a failed delivery.
		client: &http.Client{
			Transport:     transport,
			Timeout:       sub.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		ctx:    ctx,
		cancel: cancel,
		wake:   make(chan struct{}, 1),
	}
	h := &s.hooks
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		cancel()
		return "", ErrClosed
	}
	h.nextID++
	sb.id = "sub-" + strconv.Itoa(h.nextID)
	h.subs = append(h.subs, sb)
	h.wg.Add(1)
	h.mu.Unlock()
	go s.deliverLoop(sb)
	return sb.id, nil
}

// Unsubscribe ends a subscription: its waiting deliveries are dropped and
// one under way is cancelled. It reports whether the id was subscribed.
func (s *Server) Unsubscribe(id string) bool {
	h := &s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.IndexFunc(h.subs, func(sb *subscriber) bool { return sb.id == id })
	if i < 0 {
		return false
	}
	h.subs[i].cancel()
	h.subs = slices.Delete(h.subs, i, i+1)
	return true
}

// stopDeliveries ends every subscription's goroutine and waits for them.
func (s *Server) stopDeliveries() {
	h := &s.hooks
	h.mu.Lock()
	h.closed = true
	for _, sb := range h.subs {
		sb.cancel()
	}
	h.subs = nil
	h.mu.Unlock()
	h.wg.Wait()
}

// newUUID returns a random (version 4) UUID, the shape of Square's
// event_id.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// emitCustomer sends a customer event for c, the stored state of a customer
// of md (for customer.deleted, the state it was deleted in). Callers hold
// s.mu for writing, so events leave in the order the changes were made.
func (s *Server) emitCustomer(md *merchantData, typ string, c *Customer) {
	if !s.hasSubscribers() {
		return
	}
	view := *c
	view.SegmentIDs, view.Cards = nil, nil
	var object any = map[string]any{"customer": view}
	if typ == EventCustomerDeleted {
		// Square's customer.deleted leaves out group_ids and segment_ids,
		// and its example has no time stamps either.
		raw, _ := json.Marshal(view)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(raw, &m)
		for _, k := range []string{"group_ids", "segment_ids", "created_at", "updated_at"} {
			delete(m, k)
		}
		object = map[string]any{"customer": m}
	}
	s.emit(md.Merchant.ID, "", typ, wireData{Type: "customer", ID: c.ID, Deleted: typ == EventCustomerDeleted, Object: object})
}

// emitRevoked sends oauth.authorization.revoked for the end of clientID's
// authorization by merchantID.
func (s *Server) emitRevoked(clientID, merchantID, revoker string, at time.Time) {
	if !s.hasSubscribers() {
		return
	}
	// The revocation is not an object with an id; Square's example gives
	// data.id a UUID of its own.
	s.emit(merchantID, clientID, EventOAuthRevoked, wireData{
		Type:   "revocation",
		ID:     newUUID(),
		Object: map[string]any{"revocation": Revocation{RevokedAt: timestamp(at), RevokerType: revoker}},
	})
}

// wireData is EventData as it is encoded: the object as given.
type wireData struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted,omitempty"`
	Object  any    `json:"object"`
}

func (s *Server) hasSubscribers() bool {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return len(s.hooks.subs) > 0
}

// emit encodes an event once and queues it for every subscription it is
// for, applying delivery faults. It never waits for a delivery.
func (s *Server) emit(merchantID, clientID, typ string, data wireData) {
	env := struct {
		MerchantID string   `json:"merchant_id"`
		Type       string   `json:"type"`
		EventID    string   `json:"event_id"`
		CreatedAt  string   `json:"created_at"`
		Data       wireData `json:"data"`
	}{merchantID, typ, newUUID(), timestamp(s.Now()), data}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as Square, and as the API's answers
	if err := enc.Encode(env); err != nil {
		s.logger.Error("squarelocal: cannot encode a webhook event", "type", typ, "err", err)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	var ev Event
	_ = json.Unmarshal(body, &ev)

	h := &s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for _, sb := range h.subs {
		if sb.sub.MerchantID != "" && sb.sub.MerchantID != merchantID {
			continue
		}
		if clientID != "" && sb.sub.ClientID != "" && sb.sub.ClientID != clientID {
			continue
		}
		d := &delivery{event: ev, body: body, due: now}
		f := h.pickDeliveryFault(typ)
		if f == nil {
			sb.enqueue(d)
			continue
		}
		d.fault = f.Kind
		switch f.Kind {
		case DeliveryDrop:
			h.record(Delivery{Time: now, Subscription: sb.id, URL: sb.sub.URL, EventID: ev.EventID, EventType: typ,
				MerchantID: merchantID, Body: body, Fault: string(DeliveryDrop)})
		case DeliveryDuplicate:
			sb.enqueue(d)
			sb.enqueue(&delivery{event: ev, body: body, due: now, fault: DeliveryDuplicate})
		case DeliveryDelay:
			d.due = now.Add(f.Delay)
			sb.enqueue(d)
		case DeliveryReorder:
			hold := f.Delay
			if hold == 0 {
				hold = defaultReorderHold
			}
			d.releaseAt = now.Add(hold)
			sb.hold(d)
		}
	}
}

// enqueue adds a delivery behind those waiting. Deliveries held back by a
// reorder fault go right behind it: the new event overtakes them.
func (sb *subscriber) enqueue(d *delivery) {
	sb.mu.Lock()
	sb.seq++
	d.seq = sb.seq
	sb.queue = append(sb.queue, d)
	for _, h := range sb.held {
		sb.seq++
		h.seq, h.due = sb.seq, d.due
		sb.queue = append(sb.queue, h)
	}
	sb.held = nil
	sb.mu.Unlock()
	sb.signal()
}

// hold keeps a delivery back until a later event overtakes it.
func (sb *subscriber) hold(d *delivery) {
	sb.mu.Lock()
	sb.held = append(sb.held, d)
	sb.mu.Unlock()
	sb.signal()
}

func (sb *subscriber) signal() {
	select {
	case sb.wake <- struct{}{}:
	default:
	}
}

// next takes the delivery due first if its time has come; otherwise it
// says how long to wait (0: until woken).
func (sb *subscriber) next(now time.Time) (*delivery, time.Duration) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	// A held delivery that nothing overtook in time goes out anyway.
	sb.held = slices.DeleteFunc(sb.held, func(d *delivery) bool {
		if now.Before(d.releaseAt) {
			return false
		}
		sb.seq++
		d.seq, d.due = sb.seq, now
		sb.queue = append(sb.queue, d)
		return true
	})
	var wait time.Duration
	for _, d := range sb.held {
		if w := d.releaseAt.Sub(now); wait == 0 || w < wait {
			wait = w
		}
	}
	if len(sb.queue) == 0 {
		return nil, wait
	}
	i := 0
	for j, d := range sb.queue {
		if d.due.Before(sb.queue[i].due) || (d.due.Equal(sb.queue[i].due) && d.seq < sb.queue[i].seq) {
			i = j
		}
	}
	d := sb.queue[i]
	if w := d.due.Sub(now); w > 0 {
		if wait == 0 || w < wait {
			wait = w
		}
		return nil, wait
	}
	sb.queue = slices.Delete(sb.queue, i, i+1)
	sb.busy = true
	return d, 0
}

// deliverLoop sends a subscription's deliveries until it ends.
func (s *Server) deliverLoop(sb *subscriber) {
	defer s.hooks.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		d, wait := sb.next(time.Now())
		if d != nil {
			s.attempt(sb, d)
			sb.mu.Lock()
			sb.busy = false
			sb.mu.Unlock()
			continue
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-sb.ctx.Done():
			return
		case <-sb.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// attempt sends one delivery and, if it fails, schedules its retry.
func (s *Server) attempt(sb *subscriber, d *delivery) {
	start := time.Now()
	if d.initial.IsZero() {
		d.initial = start
	}
	entry := Delivery{
		Time: start, Subscription: sb.id, URL: sb.sub.URL, EventID: d.event.EventID, EventType: d.event.Type,
		MerchantID: d.event.MerchantID, Body: d.body, RetryNumber: d.retry, RetryReason: d.reason, Fault: string(d.fault),
	}
	req, err := http.NewRequestWithContext(sb.ctx, http.MethodPost, sb.sub.URL, bytes.NewReader(d.body))
	if err != nil {
		// validate accepted the URL, so this cannot happen; log it rather
		// than retry a request that can never be made.
		entry.Error = err.Error()
		s.hooks.add(entry)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderSignature, Sign(sb.sub.SignatureKey, sb.sub.URL, d.body))
	req.Header.Set(HeaderInitialDelivery, timestamp(d.initial))
	req.Header.Set(HeaderEnvironment, "Sandbox")
	req.Header.Set(HeaderSquareVersion, DefaultSquareVersion)
	if d.retry > 0 {
		req.Header.Set(HeaderRetryNumber, strconv.Itoa(d.retry))
		req.Header.Set(HeaderRetryReason, d.reason)
	}
	resp, err := sb.client.Do(req)
	reason := ""
	if err != nil {
		entry.Error = err.Error()
		reason = retryReason(err)
	} else {
		// Read a little of the answer so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
		entry.Status = resp.StatusCode
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			reason = RetryReasonHTTPError
		}
	}
	entry.Duration = time.Since(start)
	s.hooks.add(entry)
	if reason == "" || sb.ctx.Err() != nil {
		return
	}
	if d.retry >= len(sb.sub.RetryDelays) {
		s.logger.Warn("squarelocal: webhook delivery given up", "url", sb.sub.URL, "event_id", d.event.EventID, "retries", d.retry)
		return
	}
	d.due = time.Now().Add(sb.sub.RetryDelays[d.retry])
	d.retry++
	d.reason = reason
	sb.mu.Lock()
	sb.seq++
	d.seq = sb.seq
	sb.queue = append(sb.queue, d)
	sb.mu.Unlock()
}

// retryReason classifies a failed delivery as Square's Square-Retry-Reason
// does.
func retryReason(err error) string {
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var headerErr tls.RecordHeaderError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return RetryReasonTimeout
	case errors.As(err, &certErr), errors.As(err, &headerErr), errors.As(err, &unknownAuthority), errors.As(err, &hostErr):
		return RetryReasonSSLError
	default:
		return RetryReasonOther
	}
}

// Delivery is one attempt to deliver an event, or one dropped by a fault,
// for tests to assert on what was sent.
type Delivery struct {
	Time         time.Time `json:"time"`
	Subscription string    `json:"subscription"`
	URL          string    `json:"url"`
	EventID      string    `json:"event_id"`
	EventType    string    `json:"event_type"`
	MerchantID   string    `json:"merchant_id"`
	// Body is the notification exactly as sent (and signed).
	Body json.RawMessage `json:"body"`
	// RetryNumber is 0 for a first attempt; RetryReason says why the
	// previous attempt failed.
	RetryNumber int    `json:"retry_number,omitempty"`
	RetryReason string `json:"retry_reason,omitempty"`
	// Status is the receiver's answer, 0 if there was none (Error says
	// why, or Fault is "drop").
	Status   int           `json:"status,omitempty"`
	Error    string        `json:"error,omitempty"`
	Fault    string        `json:"fault,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Delivered reports whether the receiver accepted the delivery.
func (d Delivery) Delivered() bool { return d.Status >= 200 && d.Status <= 299 }

// Event decodes the delivered notification.
func (d Delivery) Event() (Event, error) {
	var ev Event
	err := json.Unmarshal(d.Body, &ev)
	return ev, err
}

// maxDeliveries bounds the delivery log as maxCalls bounds the call log.
const maxDeliveries = 10000

func (h *hookSet) add(d Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.record(d)
}

// record appends to the log; callers hold h.mu.
func (h *hookSet) record(d Delivery) {
	if len(h.log) >= maxDeliveries {
		h.log = slices.Delete(h.log, 0, maxDeliveries/2)
	}
	h.log = append(h.log, d)
}

// PendingDeliveries counts the deliveries not yet done with: waiting to be
// sent (retries included, however far off), held back by a fault, or under
// way. Tests wait for it to reach 0 rather than sleep.
func (s *Server) PendingDeliveries() int {
	s.hooks.mu.Lock()
	subs := slices.Clone(s.hooks.subs)
	s.hooks.mu.Unlock()
	n := 0
	for _, sb := range subs {
		sb.mu.Lock()
		n += len(sb.queue) + len(sb.held)
		if sb.busy {
			n++
		}
		sb.mu.Unlock()
	}
	return n
}

// Deliveries returns a copy of the delivery log, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return slices.Clone(s.hooks.log)
}

// ResetDeliveries empties the delivery log.
func (s *Server) ResetDeliveries() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.log = nil
}
