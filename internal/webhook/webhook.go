// Package webhook reads Square's webhook deliveries: it checks their
// signature and decodes the events Tessera acts on (docs/square.md#webhooks).
// It knows nothing of HTTP servers or of what Tessera does with an event.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// Path is where Tessera takes Square's deliveries, below TESSERA_BASE_URL.
const Path = "/webhooks/square"

// SignatureHeader carries a delivery's signature.
const SignatureHeader = "X-Square-Hmacsha256-Signature"

// The event types Tessera acts on.
const (
	CustomerCreated       = "customer.created"
	CustomerUpdated       = "customer.updated"
	CustomerDeleted       = "customer.deleted"
	AuthorizationRevoked  = "oauth.authorization.revoked"
	maxIDLen              = 192
	maxEventIDLen         = 64
	maxTypeLen            = 100
	maxMerchantIDLen      = 64
	signatureEncodedBytes = 44 // base64 of a 32-byte HMAC-SHA256
)

// ErrMalformed is a delivery whose body is not an event Square sends.
var ErrMalformed = errors.New("webhook: not a Square event")

// Sign is Square's signature of a delivery: the base64 HMAC-SHA256, keyed
// by the subscription's signature key, of the notification URL followed
// by the raw body.
func Sign(key, notificationURL string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is Square's signature of body sent to
// notificationURL under key, comparing in constant time. An empty key or
// signature never verifies, whatever the body.
func Verify(key, notificationURL string, body []byte, signature string) bool {
	if key == "" || len(signature) != signatureEncodedBytes {
		return false
	}
	return hmac.Equal([]byte(Sign(key, notificationURL, body)), []byte(signature))
}

// Event is one of Square's webhook events.
type Event struct {
	MerchantID string    `json:"merchant_id"`
	Type       string    `json:"type"`
	EventID    string    `json:"event_id"`
	CreatedAt  time.Time `json:"created_at"`
	Data       EventData `json:"data"`
}

// EventData is what an event is about.
type EventData struct {
	// Type is the kind of object ("customer"), ID its id.
	Type string `json:"type"`
	ID   string `json:"id"`
	// Object is the object as the event carries it, decoded by the
	// method of the event's type (Customer).
	Object json.RawMessage `json:"object"`
}

// Parse decodes a delivery's body into an event, checking the fields every
// event has. An event of a type Tessera does not act on parses too, so
// that its delivery can be acknowledged.
func Parse(body []byte) (*Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the event", ErrMalformed)
	}
	switch {
	case e.MerchantID == "" || len(e.MerchantID) > maxMerchantIDLen:
		return nil, fmt.Errorf("%w: merchant_id", ErrMalformed)
	case e.Type == "" || len(e.Type) > maxTypeLen:
		return nil, fmt.Errorf("%w: type", ErrMalformed)
	case e.EventID == "" || len(e.EventID) > maxEventIDLen:
		return nil, fmt.Errorf("%w: event_id", ErrMalformed)
	case len(e.Data.ID) > maxIDLen:
		return nil, fmt.Errorf("%w: data.id", ErrMalformed)
	}
	return &e, nil
}

// customerObject is data.object of a customer event.
type customerObject struct {
	Customer *square.Customer `json:"customer"`
}

// Customer is the customer a customer.created, customer.updated or
// customer.deleted event carries. Square leaves some fields out of these
// events (segments always, groups on a delete); the customer's id is the
// event's data.id.
func (e *Event) Customer() (*square.Customer, error) {
	switch e.Type {
	case CustomerCreated, CustomerUpdated, CustomerDeleted:
	default:
		return nil, fmt.Errorf("%w: a %s event carries no customer", ErrMalformed, e.Type)
	}
	var obj customerObject
	if err := json.Unmarshal(e.Data.Object, &obj); err != nil || obj.Customer == nil {
		return nil, fmt.Errorf("%w: data.object.customer", ErrMalformed)
	}
	cu := obj.Customer
	if cu.ID == "" {
		cu.ID = e.Data.ID
	}
	if cu.ID == "" || (e.Data.ID != "" && cu.ID != e.Data.ID) {
		return nil, fmt.Errorf("%w: the customer's id is not data.id", ErrMalformed)
	}
	return cu, nil
}
