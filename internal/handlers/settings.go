package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// connection shows which Square account Tessera acts for and the state of
// its token, as Square reports it.
func (a *app) connection(c echo.Context) error {
	d := sessionOf(c).Data()
	v := views.ConnectionView{
		BusinessName: d.BusinessName,
		MerchantID:   d.MerchantID,
		Environment:  string(a.cfg.Environment),
		Scopes:       d.Scopes,
		TokenExpires: formatTime(d.Expiry),
		LastRefresh:  formatTime(d.LastRefresh),
		CannotRevoke: !a.sessions.CanRevoke(),
	}
	if a.indexed != nil {
		idx, err := a.indexAccount(c, d.MerchantID)
		if err != nil {
			return err
		}
		v.Index = idx
	}
	status, err := a.square.OAuth.TokenStatus(c.Request().Context(), d.AccessToken)
	if square.IsAuth(err) {
		// Square no longer accepts the token (revoked, or the seller
		// disconnected the app): the session is over, as on every other
		// page, rather than a page claiming a connection that is gone.
		return err
	}
	if err != nil {
		a.logger.WarnContext(c.Request().Context(), "token status failed", slog.Any("err", err))
		v.Error = "Square did not report the token's status just now; what is shown comes from this session."
	} else {
		v.Scopes = status.Scopes
		v.ClientID = status.ClientID
		if !status.ExpiresAt.IsZero() {
			v.TokenExpires = formatTime(status.ExpiresAt.Time)
		}
	}
	return render(c, http.StatusOK, views.ConnectionPage(a.layout(c, "Connection", views.NavConnection), v))
}

// formatTime writes a time for people, in UTC, or "" for none.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}
