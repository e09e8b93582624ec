package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/live"
)

// The stream of live updates: GET /events answers a page's EventSource
// with the changes to its merchant's customers as Server-Sent Events (see
// docs/live.md). Events name a customer and what happened; the page
// fetches what it shows through the ordinary routes, so every byte of
// customer data still goes through the same checks and templates.

// eventsPath is the stream's route. The compression and the request
// deadline skip it: a stream is long-lived and must reach the browser as
// it is written.
const eventsPath = "/events"

// DefaultHeartbeat is how often an idle stream sends a comment: often
// enough that proxies (nginx's 60 s read timeout by default) keep it open,
// and the interval at which the session is checked again.
const DefaultHeartbeat = 20 * time.Second

// streamWriteWindow is how long one write to a stream may take before the
// connection is given up: the server's write timeout would otherwise cut
// every stream after 30 s.
const streamWriteWindow = 10 * time.Second

// retryMillis is how long the browser waits before reconnecting.
const retryMillis = 3000

// eventData is what an event carries to the page.
type eventData struct {
	Customer  string    `json:"customer"`
	Kind      live.Kind `json:"kind"`
	Fields    []string  `json:"fields,omitempty"`
	Version   int64     `json:"version,omitempty"`
	Elsewhere bool      `json:"elsewhere,omitempty"`
}

// events streams the signed-in merchant's changes. It reads the session
// without touching it (an open tab is not activity), ends when the session
// signs out or times out, and answers 204 to anyone not signed in, which
// tells EventSource to stop reconnecting.
func (a *app) events(c echo.Context) error {
	req := c.Request()
	if req.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return c.NoContent(http.StatusForbidden)
	}
	if a.live == nil {
		return c.NoContent(http.StatusNoContent)
	}
	watch, ok, err := a.sessions.Peek(req)
	if err != nil {
		return err
	}
	if !ok || !a.cfg.MerchantAllowed(watch.MerchantID) {
		return c.NoContent(http.StatusNoContent)
	}
	// A bad or missing id is a first connection: nothing to resume.
	lastID, _ := strconv.ParseInt(req.Header.Get("Last-Event-ID"), 10, 64)
	stream, missed, lost := a.live.Subscribe(watch.MerchantID, streamKey(watch.ID), max(lastID, 0))
	defer stream.Close()

	res := c.Response()
	rc := http.NewResponseController(res)
	// Nothing more is read from the connection: its read deadline is
	// lifted, so that the server's read timeout cannot end the stream.
	_ = rc.SetReadDeadline(time.Time{})
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	res.WriteHeader(http.StatusOK)

	out := &sse{w: res, rc: rc}
	out.printf("retry: %d\n\n", retryMillis)
	if lost {
		out.reset()
	}
	for _, e := range missed {
		out.event(e)
	}
	beat := time.NewTicker(a.heartbeat)
	defer beat.Stop()
	for out.err == nil {
		if err := out.flush(); err != nil {
			break
		}
		select {
		case <-req.Context().Done():
			return nil
		case <-stream.Done():
			// A newer tab of the session took its place, or the session
			// signed out: the page must not reconnect.
			out.printf("event: end\ndata: {}\n\n")
			_ = out.flush()
			return nil
		case <-stream.Reset():
			stream.Drain()
			out.reset()
		case e := <-stream.Events():
			out.event(e)
		case <-beat.C:
			still, err := a.sessions.StillSignedIn(req.Context(), watch)
			if err != nil {
				a.logger.WarnContext(req.Context(), "checking a stream's session failed", slog.Any("err", err))
			}
			if err == nil && !still {
				out.printf("event: end\ndata: {}\n\n")
				_ = out.flush()
				return nil
			}
			out.printf(": heartbeat\n\n")
		}
	}
	return nil
}

// streamKey tells a session's streams from another's without keeping its
// id in memory as it is.
func streamKey(sessionID string) string {
	sum := sha256.Sum256([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// endStreams closes the streams of a session that signed out.
func (a *app) endStreams(sessionID string) {
	if a.live != nil && sessionID != "" {
		a.live.EndSession(streamKey(sessionID))
	}
}

// publish tells the merchant's open pages of a change made through Tessera
// that the index does not see (cards).
func (a *app) publish(c echo.Context, e live.Event) {
	if a.live == nil {
		return
	}
	if s := sessionOf(c); s != nil && s.SignedIn() {
		a.live.Publish(s.MerchantID(), e)
	}
}

// sse writes Server-Sent Events, each write under its own deadline; the
// first error stops it.
type sse struct {
	w   io.Writer
	rc  *http.ResponseController
	err error
}

func (s *sse) printf(format string, args ...any) {
	if s.err != nil {
		return
	}
	if s.err = s.rc.SetWriteDeadline(time.Now().Add(streamWriteWindow)); s.err != nil {
		return
	}
	_, s.err = fmt.Fprintf(s.w, format, args...)
}

func (s *sse) flush() error {
	if s.err == nil {
		s.err = s.rc.Flush()
	}
	return s.err
}

func (s *sse) event(e live.Event) {
	data, err := json.Marshal(eventData{Customer: e.CustomerID, Kind: e.Kind, Fields: e.Fields, Version: e.Version, Elsewhere: e.Elsewhere})
	if err != nil {
		s.err = err
		return
	}
	s.printf("id: %d\nevent: change\ndata: %s\n\n", e.ID, data)
}

// reset tells the page it missed events and must reload what it shows.
func (s *sse) reset() {
	s.printf("event: reset\ndata: {}\n\n")
}
