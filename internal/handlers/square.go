package handlers

import (
	"context"
	"iter"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// What the pages of a signed-in merchant need of Square, declared here
// where it is used. The services of *square.Client provide it; a test
// whose case the emulator cannot produce stands in a small fake.

type customerService interface {
	List(ctx context.Context, params *square.ListCustomersParams) (*square.CustomerPage, error)
	Search(ctx context.Context, body *square.SearchCustomersRequest) (*square.CustomerPage, error)
	Get(ctx context.Context, id string) (*square.Customer, error)
	Create(ctx context.Context, body *square.CreateCustomerRequest) (*square.Customer, error)
	Update(ctx context.Context, id string, body *square.UpdateCustomerRequest) (*square.Customer, error)
	Delete(ctx context.Context, id string, version *int64) error
	AllGroups(ctx context.Context) iter.Seq2[square.CustomerGroup, error]
}

type cardService interface {
	Create(ctx context.Context, body *square.CreateCardRequest) (*square.Card, error)
	List(ctx context.Context, params *square.ListCardsParams) (*square.CardPage, error)
	Get(ctx context.Context, id string) (*square.Card, error)
	Disable(ctx context.Context, id string) (*square.Card, error)
}

type merchantService interface {
	Get(ctx context.Context, id string) (*square.Merchant, error)
}

// merchantAPI is Square as one signed-in merchant's token reaches it.
type merchantAPI struct {
	Customers customerService
	Cards     cardService
	Merchants merchantService
	// Groups are the group and bulk calls (groups.go); nil in tests that
	// stand in a fake for the rest.
	Groups groupService
}

// apiFor is the production merchantAPI: the client with the session's
// token. A client is never shared across sessions.
func apiFor(client *square.Client, accessToken string) merchantAPI {
	c := client.WithAccessToken(accessToken)
	return merchantAPI{Customers: c.Customers, Cards: c.Cards, Merchants: c.Merchants, Groups: c.Customers}
}
