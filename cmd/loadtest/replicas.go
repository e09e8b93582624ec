package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// With -replicas N (and -processes), N processes of cmd/web share one
// PostgreSQL database, a throwaway cluster this program starts (durable,
// as a real server is), behind a balancer in this process that stands for
// the reverse proxy of deploy/Caddyfile.replicas: the clients, the
// emulator's webhooks and the OAuth redirect all reach Tessera through it.
// -kill-after kills the last replica (SIGKILL, no goodbye) during the load.

// balancer sends each request to the next replica in turn. Like Caddy's
// load balancing, it tries another replica when one cannot be dialled, and
// retries a GET that failed on its way; a request of another method that
// reached a replica which then died is answered 502 and counted as cut,
// since sending it again could apply it twice.
type balancer struct {
	upstreams []*upstream
	next      atomic.Uint64
	// cut counts the requests lost with a killed replica.
	cut atomic.Int64
}

type upstream struct {
	addr  string
	proxy *httputil.ReverseProxy
	down  atomic.Bool
}

// failedKey carries, in a proxied request's context, where the proxy puts
// its transport failure: the proxy then writes nothing, and the balancer
// decides what to do with the request.
type failedKey struct{}

func newBalancer(addrs []string) *balancer {
	b := &balancer{}
	for _, addr := range addrs {
		u := &upstream{addr: addr}
		target := &url.URL{Scheme: "http", Host: addr}
		tr := loopbackTransport(addr)
		u.proxy = &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(target)
				// Tessera sees its public origin, as behind Caddy.
				r.Out.Host = r.In.Host
			},
			Transport: tr,
			// Live updates' streams are flushed at once.
			FlushInterval: -1,
			// A stream or page cut by a killed replica is expected here;
			// the clients see and count it.
			ErrorLog: log.New(io.Discard, "", 0),
			ErrorHandler: func(_ http.ResponseWriter, r *http.Request, err error) {
				if failed, ok := r.Context().Value(failedKey{}).(*error); ok {
					*failed = err
				}
			},
		}
		b.upstreams = append(b.upstreams, u)
	}
	return b
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := len(b.upstreams)
	start := int(b.next.Add(1))
	for i := range n {
		u := b.upstreams[(start+i)%n]
		if u.down.Load() {
			continue
		}
		err := b.try(u, w, r)
		if err == nil {
			return
		}
		var op *net.OpError
		dial := errors.As(err, &op) && op.Op == "dial"
		if dial {
			u.down.Store(true)
		}
		if !dial && r.Method != http.MethodGet {
			b.cut.Add(1)
			http.Error(w, "the replica died with the request", http.StatusBadGateway)
			return
		}
	}
	http.Error(w, "no replica answered", http.StatusBadGateway)
}

// try proxies r to u; a transport failure comes back as its error, with
// nothing written to w.
func (b *balancer) try(u *upstream, w http.ResponseWriter, r *http.Request) error {
	var failed error
	u.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), failedKey{}, &failed)))
	return failed
}

// startReplicas starts a throwaway PostgreSQL cluster, n replicas of
// cmd/web on it in emulator mode, and the balancer at t.addr.
func (p *processes) startReplicas(ctx context.Context, t *tessera, n int, env map[string]string, logs io.Writer, progress io.Writer) error {
	fmt.Fprintln(progress, "loadtest: starting a throwaway PostgreSQL cluster")
	cluster, err := pgtest.StartCluster()
	if err != nil {
		return fmt.Errorf("-replicas needs PostgreSQL (make postgres-setup installs it): %w", err)
	}
	p.pg = cluster
	dbURL, err := cluster.CreateDatabase(ctx, "tessera")
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	addrs := make([]string, n)
	for i := range n {
		if addrs[i], err = freeLoopbackAddr(); err != nil {
			return err
		}
		dataDir := filepath.Join(p.dir, "data-"+strconv.Itoa(i+1))
		if err := os.Mkdir(dataDir, 0o700); err != nil {
			return err
		}
		own := map[string]string{
			config.EnvAddr: addrs[i], config.EnvDataDir: dataDir, config.EnvBaseURL: "http://" + t.addr,
			config.EnvDatabaseURL: dbURL, config.EnvSessionSecret: base64.StdEncoding.EncodeToString(secret),
		}
		for k, v := range env {
			if _, ok := own[k]; !ok {
				own[k] = v
			}
		}
		c, err := startChild(ctx, "Tessera replica "+strconv.Itoa(i+1), filepath.Join(p.dir, "web"), nil, childEnv(own), "Tessera is serving ", logs)
		if err != nil {
			return err
		}
		p.replicas = append(p.replicas, c)
	}
	p.web = p.replicas[0]
	p.balancer = newBalancer(addrs)
	ln, err := net.Listen("tcp", t.addr)
	if err != nil {
		return fmt.Errorf("the balancer cannot listen on %s: %w", t.addr, err)
	}
	p.front = &http.Server{Handler: p.balancer, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.front.Serve(ln) }()
	return nil
}

// killLast kills the last replica without warning, as a machine that
// fails does.
func (p *processes) killLast() error {
	c := p.replicas[len(p.replicas)-1]
	c.stopping.Store(true)
	if err := c.cmd.Process.Kill(); err != nil {
		return err
	}
	<-c.done
	return nil
}
