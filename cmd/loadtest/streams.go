package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-dashboard/tessera/internal/pause"
)

// streams are the browsers' live-update streams (GET /events), one per
// session, open for the whole load as a tab left on a page keeps one: the
// load's edits and creations reach every stream of their merchant. A
// stream that ends before the load does (its replica died, with
// -kill-after) is opened again with the last event's id, as EventSource
// does.
type streams struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// open counts the sessions whose stream answered 200; events the
	// changes they received; reopened the streams opened again after one
	// ended.
	open, events, reopened atomic.Int64
}

// reopenWait is how long a stream that ended waits before it is opened
// again: what Tessera's retry field tells EventSource.
const reopenWait = time.Second

// openStreams opens one stream per browser, each on a connection of its
// own (a stream holds its connection), and reads them until stop.
func openStreams(ctx context.Context, browsers []*browser, t *tessera) *streams {
	ctx, cancel := context.WithCancel(ctx)
	s := &streams{cancel: cancel}
	for _, b := range browsers {
		tr := loopbackTransport(t.addr)
		client := &http.Client{Jar: b.client.Jar, Transport: tr}
		s.wg.Go(func() {
			defer tr.CloseIdleConnections()
			lastID := ""
			for first := true; ctx.Err() == nil; first = false {
				if !first {
					s.reopened.Add(1)
					if pause.For(ctx, reopenWait) != nil {
						return
					}
				}
				if !s.follow(ctx, client, b.origin+"/events", &lastID, first) && first {
					return
				}
			}
		})
	}
	return s
}

// follow reads one stream until it ends, keeping the id of the last event
// seen in lastID and sending it back when it opens; ok reports that it
// answered 200, which the session's first stream counts in open.
func (s *streams) follow(ctx context.Context, client *http.Client, target string, lastID *string, first bool) (ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "text/event-stream")
	if *lastID != "" {
		req.Header.Set("Last-Event-ID", *lastID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	if first {
		s.open.Add(1)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.Equal(line, []byte("event: change")):
			s.events.Add(1)
		case bytes.HasPrefix(line, []byte("id: ")):
			*lastID = string(line[len("id: "):])
		}
	}
	return true
}

// close ends every stream, as closing the tabs does, and waits for them.
func (s *streams) close() {
	s.cancel()
	s.wg.Wait()
}
