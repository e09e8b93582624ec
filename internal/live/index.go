package live

import (
	"context"
	"slices"

	"github.com/tessera-dashboard/tessera/internal/index"
)

// Watcher returns the index watcher that publishes each change the index
// takes: Square's (webhooks, syncs) and Tessera's own writes alike, so that
// every other open page of the merchant learns of it.
func (b *Broker) Watcher() index.Watcher {
	return func(_ context.Context, changes []index.Change) {
		for _, c := range changes {
			b.Publish(c.MerchantID, FromIndex(c))
		}
	}
}

// FromIndex is the event of a change the index took. Its fields are named
// as the customer form names its inputs.
func FromIndex(c index.Change) Event {
	e := Event{CustomerID: c.CustomerID(), Elsewhere: c.Origin != index.OriginTessera}
	switch {
	case c.After == nil:
		e.Kind = Deleted
	case c.Before == nil:
		e.Kind, e.Version = Created, c.After.Version
	default:
		e.Kind, e.Version = Updated, c.After.Version
		e.Fields = changedFields(c.Before, c.After)
	}
	return e
}

// changedFields names the fields the index keeps that differ. The index
// keeps no address or birthday: a change of those alone names no field,
// and the page compares what it shows itself.
func changedFields(a, b *index.Customer) []string {
	var out []string
	for _, f := range []struct {
		name string
		a, b string
	}{
		{"given_name", a.GivenName, b.GivenName},
		{"family_name", a.FamilyName, b.FamilyName},
		{"nickname", a.Nickname, b.Nickname},
		{"company_name", a.CompanyName, b.CompanyName},
		{"email_address", a.EmailAddress, b.EmailAddress},
		{"phone_number", a.PhoneNumber, b.PhoneNumber},
		{"reference_id", a.ReferenceID, b.ReferenceID},
		{"note", a.Note, b.Note},
	} {
		if f.a != f.b {
			out = append(out, f.name)
		}
	}
	if !slices.Equal(a.GroupIDs, b.GroupIDs) {
		out = append(out, "groups")
	}
	return out
}
