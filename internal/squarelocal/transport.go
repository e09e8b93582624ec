package squarelocal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Transport returns an http.RoundTripper that serves requests from this
// emulator in process, without a socket. Local mode gives it to the Square
// client, so the client's whole request path runs exactly as against
// Square. Faults behave as over a network: a hang lasts until the
// request's context ends, and a dropped connection is an error.
func (s *Server) Transport() http.RoundTripper {
	return transport{h: s}
}

type transport struct {
	h http.Handler
}

// errConnectionDropped is what the caller sees when a fault drops the
// connection after the request was applied.
var errConnectionDropped = errors.New("squarelocal: connection dropped before the response")

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Serve a copy so that the caller's request is not modified, as the
	// RoundTripper contract asks.
	in := req.Clone(req.Context())
	// A server request always has a body; a client one may not.
	in.Body = http.NoBody
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		in.Body = io.NopCloser(bytes.NewReader(body))
	}
	in.RequestURI = req.URL.RequestURI()
	if in.Host == "" {
		in.Host = req.URL.Host
	}

	rec := &memoryWriter{header: http.Header{}}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					done <- errConnectionDropped
					return
				}
				done <- fmt.Errorf("squarelocal: handler panic: %v", v)
				return
			}
			done <- nil
		}()
		t.h.ServeHTTP(rec, in)
	}()

	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// memoryWriter collects an answer in memory.
type memoryWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (m *memoryWriter) Header() http.Header { return m.header }

func (m *memoryWriter) WriteHeader(code int) {
	if m.status == 0 {
		m.status = code
	}
}

func (m *memoryWriter) Write(b []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	return m.body.Write(b)
}

// HandlerTransport returns an http.RoundTripper that serves every request
// with h in process, without a socket. Given as Subscription.Transport, it
// lets an application in the same process receive webhooks through its own
// handler, exactly as they would arrive over HTTP.
func HandlerTransport(h http.Handler) http.RoundTripper {
	return transport{h: h}
}
