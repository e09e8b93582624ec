package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// merchantInfoTTL is how long a merchant's profile and customer groups are
// reused. They change rarely, and without the cache every directory page
// would cost Square three calls instead of one.
const merchantInfoTTL = 5 * time.Minute

// merchantInfo is what pages need to know about the signed-in seller
// beyond the session: its country (the EU VAT field depends on it), its
// main location (where the card form works, unless SQUARE_LOCATION_ID
// says otherwise) and its customer groups (filter choices and group names
// in the table).
type merchantInfo struct {
	Country        string
	MainLocationID string
	Groups         []square.CustomerGroup
	fetched        time.Time
}

// GroupName returns the name of a group id, or "" when unknown.
func (m *merchantInfo) GroupName(id string) string {
	for _, g := range m.Groups {
		if g.ID == id {
			return g.Name
		}
	}
	return ""
}

// merchantCache keeps merchantInfo per merchant id for merchantInfoTTL.
// Merchants never share entries: the key is the merchant of the token.
type merchantCache struct {
	mu      sync.Mutex
	entries map[string]*merchantInfo
}

// get returns the merchant's info, fetching it with client when missing or
// stale. A failed fetch returns the error and caches nothing.
func (mc *merchantCache) get(ctx context.Context, merchantID string, client merchantAPI, now time.Time) (*merchantInfo, error) {
	mc.mu.Lock()
	if e, ok := mc.entries[merchantID]; ok && now.Sub(e.fetched) < merchantInfoTTL {
		mc.mu.Unlock()
		return e, nil
	}
	mc.mu.Unlock()

	m, err := client.Merchants.Get(ctx, "me")
	if err != nil {
		return nil, err
	}
	info := &merchantInfo{Country: m.Country, MainLocationID: m.MainLocationID, fetched: now}
	for g, err := range client.Customers.AllGroups(ctx) {
		if err != nil {
			return nil, err
		}
		info.Groups = append(info.Groups, g)
	}

	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.entries == nil {
		mc.entries = map[string]*merchantInfo{}
	}
	mc.entries[merchantID] = info
	return info, nil
}

// merchantInfo returns the signed-in merchant's cached profile and groups.
func (a *app) merchantInfo(c echo.Context) (*merchantInfo, error) {
	return a.merchants.get(c.Request().Context(), sessionOf(c).MerchantID(), a.client(c), a.now())
}
