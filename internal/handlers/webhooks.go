package handlers

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/webhook"
)

// Square's webhook deliveries: POST /webhooks/square. Square, not a
// browser, sends them, so they carry no session and no CSRF token and are
// outside the cross-site guard; the signature is what proves them. Every
// answer is quick and empty: Square only reads the status.

// maxWebhookBody bounds a delivery; Square's events about one customer are
// a few kilobytes.
const maxWebhookBody = 256 << 10

// squareWebhook checks a delivery and acts on its event. A delivery that is
// unsigned, badly signed, malformed or about a merchant Tessera does not
// serve changes nothing and gets a 4xx; Square sends each event again until
// it gets a 2xx, so anything Tessera cannot act on now is refused rather
// than acknowledged.
func (a *app) squareWebhook(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	key := a.cfg.WebhookSignatureKey
	if key == "" {
		// No subscription is configured, so no delivery can be Square's.
		return c.NoContent(http.StatusNotFound)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxWebhookBody+1))
	switch {
	case err != nil:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return c.NoContent(http.StatusRequestEntityTooLarge)
		}
		return c.NoContent(http.StatusBadRequest)
	case len(body) > maxWebhookBody:
		return c.NoContent(http.StatusRequestEntityTooLarge)
	}
	// The notification URL is built from the configuration, byte for byte
	// as registered with Square, never from the request's Host.
	if !webhook.Verify(key, a.cfg.WebhookURL(), body, req.Header.Get(webhook.SignatureHeader)) {
		a.logger.WarnContext(ctx, "a webhook delivery with a bad signature was refused")
		return c.NoContent(http.StatusUnauthorized)
	}
	e, err := webhook.Parse(body)
	if err != nil {
		a.logger.WarnContext(ctx, "a signed webhook delivery could not be read", slog.Any("err", err))
		return c.NoContent(http.StatusBadRequest)
	}
	if !a.cfg.MerchantAllowed(e.MerchantID) {
		a.logger.InfoContext(ctx, "a webhook about a merchant Tessera does not serve was refused",
			slog.String("merchant", e.MerchantID), slog.String("type", e.Type))
		return c.NoContent(http.StatusForbidden)
	}
	switch e.Type {
	case webhook.AuthorizationRevoked:
		// The seller (or Square) disconnected Tessera: its tokens are
		// dead, so every session of that merchant ends now rather than at
		// its next call to Square.
		n, err := a.sessions.EndMerchant(ctx, e.MerchantID, connectionEnded)
		if err != nil {
			return err
		}
		// Tessera keeps no copy of the customers of a seller it no longer
		// serves.
		if a.indexed != nil {
			if err := a.indexed.DropMerchant(ctx, e.MerchantID); err != nil {
				return err
			}
		}
		// Nor its history, which holds their names and values.
		if a.history != nil {
			if err := a.history.DropMerchant(ctx, e.MerchantID); err != nil {
				return err
			}
		}
		// Nor its bulk jobs, which name its customers.
		if a.jobs != nil {
			if err := a.jobs.Store().DropMerchant(ctx, e.MerchantID); err != nil {
				return err
			}
		}
		// Nor the files it uploaded to import.
		if a.imports != nil {
			if err := a.imports.DropMerchant(ctx, e.MerchantID); err != nil {
				return err
			}
		}
		a.logger.InfoContext(ctx, "the merchant revoked Tessera's authorization; its sessions ended and its index is gone",
			slog.String("merchant", e.MerchantID), slog.Int64("sessions", n))
	case webhook.CustomerCreated, webhook.CustomerUpdated, webhook.CustomerDeleted:
		if err := a.applyCustomerEvent(ctx, e); err != nil {
			if errors.Is(err, webhook.ErrMalformed) {
				a.logger.WarnContext(ctx, "a signed customer event could not be read", slog.Any("err", err))
				return c.NoContent(http.StatusBadRequest)
			}
			return err
		}
	default:
		a.logger.DebugContext(ctx, "a webhook event Tessera does not act on", slog.String("type", e.Type))
	}
	return c.NoContent(http.StatusOK)
}
