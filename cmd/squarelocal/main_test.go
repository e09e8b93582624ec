package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunRejectsBadFlagsAsUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"an address without a port", []string{"-addr", "localhost"}, "-addr"},
		{"a negative customer count", []string{"-customers", "-3"}, "-customers must not be negative"},
		{"an unknown fault", []string{"-fault", "explode"}, "unknown fault kind"},
		{"a fault rate that is not a number", []string{"-fault", "internal_error@lots"}, "not a number"},
		{"a fault rate above one", []string{"-fault", "internal_error@2"}, "between 0 and 1"},
		{"a stray argument", []string{"serve"}, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			var usage usageError
			if !errors.As(err, &usage) {
				t.Fatalf("run(%q) = %v, want a usage error", tc.args, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %q, want it to mention %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestHelpListsTheFlags(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-help"}, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-help) = %v, want flag.ErrHelp", err)
	}
	for _, f := range []string{"-addr", "-customers", "-access-token", "-client-id", "-client-secret", "-redirect-uri", "-latency", "-fault"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("help output lacks %s:\n%s", f, stderr.String())
		}
	}
}

func TestRunServesTheAPIWithThePersonalAccessToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-customers", "5", "-access-token", "pat-123"}, io.Discard, io.Discard)
	}()

	var resp *http.Response
	for range 100 {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v2/merchants/me", nil)
		req.Header.Set("Authorization", "Bearer pat-123")
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET /v2/merchants/me: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Harbor & Pine Coffee") {
		t.Errorf("GET /v2/merchants/me = %d %s, want 200 with the first merchant", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}

func TestRunReportsAPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"-addr", ln.Addr().String(), "-customers", "0"}, io.Discard, io.Discard)
	var usage usageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("run on a busy port = %v, want a usage error saying it cannot listen", err)
	}
}
