package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/customers"
)

func TestASaveThatTimedOutStillShowsTheFormAsTyped(t *testing.T) {
	a := &app{cfg: &config.Config{}, logger: slog.New(slog.DiscardHandler), now: time.Now}
	// By the time a timed-out save answers, the request's context has
	// ended; templ refuses to render on it.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/customers", nil).WithContext(ctx), rec)
	v := newCustomerForm(customers.Fields(false), customers.Values{customers.GivenName: "Typed"})
	v.view.IdempotencyKey = newIdempotencyKey()

	if err := a.customerSaveFailed(c, v, fmt.Errorf("square: %w", context.DeadlineExceeded), false); err != nil {
		t.Fatalf("customerSaveFailed(timeout) = %v, want the form rendered", err)
	}
	body := rec.Body.String()
	if rec.Code != http.StatusGatewayTimeout || !strings.Contains(body, `value="Typed"`) || !strings.Contains(body, "may not have been saved") {
		t.Errorf("customerSaveFailed(timeout) = %d, want 504 with the typed value and \"may not have been saved\"\n%s", rec.Code, body)
	}
}
