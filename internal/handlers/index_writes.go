package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/webhook"
	"github.com/tessera-dashboard/tessera/views"
)

// What Tessera's own writes and Square's webhooks put into the customer
// index. Square stays the source of truth: the index takes Square's answer
// to a write (so the person who saved sees the change at once), and the
// events Square reports. A failure to store is logged, never the person's:
// Square has the change, and the next sync brings it.

// indexWrites is what the writes, the webhooks and the connection page
// need of the index.
type indexWrites interface {
	Put(ctx context.Context, merchantID string, c index.Customer) (bool, error)
	Delete(ctx context.Context, merchantID, customerID string, version int64, at time.Time) (bool, error)
	SeenEvent(ctx context.Context, merchantID, eventID string) (bool, error)
	ForgetEvent(ctx context.Context, merchantID, eventID string) error
	DropMerchant(ctx context.Context, merchantID string) error
	UpdateSyncState(ctx context.Context, merchantID string, fn func(*index.SyncState) error) error
	// SyncState and Count are for the connection page's account of it.
	SyncState(ctx context.Context, merchantID string) (index.SyncState, error)
	Count(ctx context.Context, merchantID string) (int, error)
}

// indexCustomer stores the customer as Square answered a write or a read.
func (a *app) indexCustomer(c echo.Context, cu *square.Customer) {
	if a.indexed == nil || cu == nil {
		return
	}
	ctx := index.WithOrigin(c.Request().Context(), index.OriginTessera)
	if _, err := a.indexed.Put(ctx, sessionOf(c).MerchantID(), index.FromSquare(cu)); err != nil {
		a.logger.WarnContext(ctx, "the index did not take a customer", slog.Any("err", err))
	}
}

// unindexCustomer removes a customer Tessera deleted (origin
// index.OriginTessera), or one Square says it no longer has
// (index.OriginSquare: it was deleted elsewhere). version 0 is unknown.
func (a *app) unindexCustomer(c echo.Context, id string, version int64, origin index.Origin) {
	if a.indexed == nil {
		return
	}
	ctx := index.WithOrigin(c.Request().Context(), origin)
	if _, err := a.indexed.Delete(ctx, sessionOf(c).MerchantID(), id, version, a.now()); err != nil {
		a.logger.WarnContext(ctx, "the index did not take a deletion", slog.Any("err", err))
	}
}

// applyCustomerEvent stores what a customer event reports, once per event:
// deliveries repeat and arrive out of order, and the index keeps the newer
// state of a customer whatever the order (by version, then updated_at), a
// deletion winning over updates delivered after it.
func (a *app) applyCustomerEvent(ctx context.Context, e *webhook.Event) error {
	if a.indexed == nil {
		return nil
	}
	cu, err := e.Customer()
	if err != nil {
		return err
	}
	seen, err := a.indexed.SeenEvent(ctx, e.MerchantID, e.EventID)
	if err != nil || seen {
		return err
	}
	if e.Type == webhook.CustomerDeleted {
		_, err = a.indexed.Delete(ctx, e.MerchantID, cu.ID, cu.Version, e.CreatedAt)
	} else {
		_, err = a.indexed.Put(ctx, e.MerchantID, index.FromSquare(cu))
	}
	if err == nil {
		now := a.now()
		err = a.indexed.UpdateSyncState(ctx, e.MerchantID, func(st *index.SyncState) error {
			st.LastWebhook = now
			return nil
		})
	}
	if err != nil {
		// Square delivers the event again; it must find it unseen.
		if ferr := a.indexed.ForgetEvent(ctx, e.MerchantID, e.EventID); ferr != nil {
			a.logger.WarnContext(ctx, "the index could not forget a failed event", slog.Any("err", ferr))
		}
	}
	return err
}

// indexAccount is the connection page's account of the merchant's index.
func (a *app) indexAccount(c echo.Context, merchantID string) (*views.IndexStatus, error) {
	ctx := c.Request().Context()
	st, err := a.indexed.SyncState(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	n, err := a.indexed.Count(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	full := st.FullSyncDone
	if !st.Ready() {
		full = time.Time{}
	}
	return &views.IndexStatus{
		Customers: thousands(int64(n)), Progress: syncProgress(st),
		LastFullSync: formatTime(full), LastWebhook: formatTime(st.LastWebhook), LastIncremental: formatTime(st.LastIncremental),
		Webhooks:      a.cfg.WebhookSignatureKey != "",
		RebuildAction: "/settings/index/rebuild", CSRFToken: csrfToken(c),
	}, nil
}

// rebuildIndex starts the merchant's index afresh: POST /settings/index/rebuild.
func (a *app) rebuildIndex(c echo.Context) error {
	if a.indexSync == nil {
		return errNotFound
	}
	if err := a.indexSync.Rebuild(c.Request().Context(), sessionOf(c).MerchantID()); err != nil {
		return err
	}
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashInfo,
		Message: "The customer index is being rebuilt. Until it is done, the directory reads Square."})
	return redirect(c, "/settings/connection")
}
