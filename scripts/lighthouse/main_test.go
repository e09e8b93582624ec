package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report writes a Lighthouse JSON report with what auditedSignedIn reads:
// the main document's and the displayed URL, and the document's request.
func report(t *testing.T, final string, status string) *result {
	t.Helper()
	file := filepath.Join(t.TempDir(), "r.json")
	body := `{"lighthouseVersion":"12.8.2","requestedUrl":"http://127.0.0.1:1/customers",
		"mainDocumentUrl":"` + final + `","finalDisplayedUrl":"` + final + `",
		"categories":{"performance":{"score":0.97}},
		"audits":{"network-requests":{"details":{"type":"table","items":[
			{"url":"http://127.0.0.1:1/customers","statusCode":` + status + `,"resourceType":"Document"}]}},
			"layout-shifts":{"details":{"type":"table","items":{}}}}}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := readReport(file)
	if err != nil {
		t.Fatalf("readReport: %v", err)
	}
	return r
}

func TestAuditedSignedIn(t *testing.T) {
	const target = "http://127.0.0.1:1/customers"
	if err := report(t, target, "200").auditedSignedIn(target); err != nil {
		t.Errorf("the signed-in directory: %v, want no error", err)
	}
	// Without a valid cookie, /customers sends the browser to sign in.
	err := report(t, "http://127.0.0.1:1/login", "303").auditedSignedIn(target)
	if err == nil || !strings.Contains(err.Error(), "/login") {
		t.Errorf("the sign-in page audited: %v, want an error naming /login", err)
	}
	if err := report(t, target, "500").auditedSignedIn(target); err == nil {
		t.Error("an error page for /customers passed, want an error")
	}
}

func TestCheckBudgetsUsesTheMedian(t *testing.T) {
	var b strings.Builder
	scores := func(perf float64) *result {
		return &result{Categories: map[string]*category{
			"performance":    {Score: &perf},
			"accessibility":  {Score: ptr(1)},
			"best-practices": {Score: ptr(1)},
		}}
	}
	if !checkBudgets(&b, []*result{scores(0.5), scores(0.98), scores(0.99)}) {
		t.Errorf("median 0.98 failed:\n%s", b.String())
	}
	b.Reset()
	if checkBudgets(&b, []*result{scores(0.97), scores(0.99), scores(0.5)}) {
		t.Errorf("median 0.97 passed:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "performance     0.97 (budget ≥ 0.98) FAIL") {
		t.Errorf("the verdict does not name the failing score:\n%s", b.String())
	}
}

func ptr(f float64) *float64 { return &f }

// The main thread's figures come from the renderer that parsed the audited
// page, not from another renderer in the trace (Lighthouse's about:blank,
// DevTools' own pages).
func TestReadMainThreadSumsThePagesRenderer(t *testing.T) {
	const target = "http://127.0.0.1:1/customers"
	file := filepath.Join(t.TempDir(), "lighthouse-1-0.trace.json")
	body := `{"traceEvents":[
		{"name":"ParseHTML","ph":"X","pid":1,"tid":1,"dur":500,"args":{"beginData":{"url":"chrome://newtab/"}}},
		{"name":"RunTask","ph":"X","pid":1,"tid":1,"dur":90000,"tdur":90000},
		{"name":"ParseHTML","ph":"X","pid":2,"tid":7,"dur":800,"args":{"beginData":{"url":"` + target + `"}}},
		{"name":"RunTask","ph":"X","pid":2,"tid":7,"ts":1000,"dur":73000,"tdur":30000},
		{"name":"DocumentLoader::CommitNavigation","ph":"X","pid":2,"tid":7,"ts":1100,"dur":60000,"tdur":25000},
		{"name":"DocumentLoader::CommitNavigation","ph":"X","pid":1,"tid":1,"ts":200000,"dur":1000,"tdur":1000},
		{"name":"RunTask","ph":"X","pid":2,"tid":7,"ts":90000,"dur":27000,"tdur":20000},
		{"name":"RunTask","ph":"X","pid":2,"tid":8,"dur":50000,"tdur":50000}]}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := readMainThread(file, target)
	if err != nil {
		t.Fatalf("readMainThread: %v", err)
	}
	if got := m.String(); got != "main thread busy 100 ms, of which on a CPU 50 ms; navigation commit 73 ms, on a CPU 30 ms" {
		t.Errorf("got %q", got)
	}
	if _, err := readMainThread(file, "http://127.0.0.1:1/groups"); err == nil {
		t.Error("a trace without the target's renderer gave figures, want an error")
	}
}

// -from names a page of Tessera's and needs flow.mjs to run through.
func TestOptionsFromNeedsAPathAndTheFlowScript(t *testing.T) {
	base := options{web: "web", lighthouse: "lighthouse", out: "out", path: "/customers", runs: 1}
	if err := base.check(); err != nil {
		t.Errorf("the plain options: %v, want none", err)
	}
	from := base
	from.from, from.flow = "/settings/connection", "/cache/flow.mjs"
	if err := from.check(); err != nil {
		t.Errorf("-from with -flow: %v, want none", err)
	}
	for _, bad := range []options{
		{web: "web", lighthouse: "lighthouse", out: "out", runs: 1, from: "/settings/connection"},
		{web: "web", lighthouse: "lighthouse", out: "out", runs: 1, from: "https://example.com/", flow: "flow.mjs"},
		{web: "web", lighthouse: "lighthouse", out: "out", runs: 0},
		{lighthouse: "lighthouse", out: "out", runs: 1},
	} {
		if err := bad.check(); err == nil {
			t.Errorf("%+v passed the check, want an error", bad)
		}
	}
}
