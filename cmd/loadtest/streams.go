package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// streams are the browsers' live-update streams (GET /events), one per
// session, open for the whole load as a tab left on a page keeps one: the
// load's edits and creations reach every stream of their merchant.
type streams struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// open counts the streams that answered 200; events the changes they
	// received.
	open, events atomic.Int64
}

// openStreams opens one stream per browser, each on a connection of its
// own (a stream holds its connection), and reads them until stop.
func openStreams(ctx context.Context, browsers []*browser, t *tessera) *streams {
	ctx, cancel := context.WithCancel(ctx)
	s := &streams{cancel: cancel}
	for _, b := range browsers {
		tr := loopbackTransport(t.addr)
		client := &http.Client{Jar: b.client.Jar, Transport: tr}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.origin+"/events", nil)
		if err != nil {
			continue
		}
		req.Header.Set("Accept", "text/event-stream")
		s.wg.Go(func() {
			defer tr.CloseIdleConnections()
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return
			}
			s.open.Add(1)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if bytes.Equal(sc.Bytes(), []byte("event: change")) {
					s.events.Add(1)
				}
			}
		})
	}
	return s
}

// close ends every stream, as closing the tabs does, and waits for them.
func (s *streams) close() {
	s.cancel()
	s.wg.Wait()
}
