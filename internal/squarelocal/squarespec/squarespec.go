// Package squarespec checks HTTP requests and answers against Square's own
// OpenAPI 3 document, for the conformance tests of squarelocal and of the
// Square client. Square's file is not part of this repository: it is read
// from the path in SQUARE_OPENAPI, or from ../shared/square-openapi/api.json
// beside the repository root.
//
// Answers are held to a stricter reading than the document itself: every
// object schema that lists its properties and says nothing of others is
// closed, so a field Square does not send at the pinned version fails. What
// Square really sends beyond its document is listed, with the reason, in
// allowances.
package squarespec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// EnvPath names the environment variable that points at Square's api.json.
const EnvPath = "SQUARE_OPENAPI"

// howToGet tells a developer without the file where it comes from.
const howToGet = "Square's OpenAPI document is missing: set " + EnvPath + " to a copy of api.json from " +
	"github.com/square/connect-api-specification (release 2025-08-20, the Square-Version Tessera pins), " +
	"or put it at ../shared/square-openapi/api.json beside the repository root"

// specOrigin is where validation requests are addressed: the document's one
// server. Requests are rewritten to it, so the router matches whatever host
// the caller used.
const specOrigin = "https://connect.squareup.com"

// Spec is Square's document, loaded, closed and routed.
type Spec struct {
	doc *openapi3.T
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
	missing  bool
)

// Load returns the document, reading and preparing it once per test binary:
// the file is 3 MB and takes a moment to parse. When the file is absent the
// test is skipped, except under CI=true, where it fails: CI has the file,
// and a conformance test that silently skipped there would prove nothing.
func Load(t testing.TB) *Spec {
	t.Helper()
	loadOnce.Do(func() { loaded, missing, loadErr = load() })
	switch {
	case missing && os.Getenv("CI") == "true":
		t.Fatal(howToGet + " (CI=true, so the conformance test may not skip)")
	case missing:
		t.Skip(howToGet)
	case loadErr != nil:
		t.Fatalf("loading Square's OpenAPI document: %v", loadErr)
	}
	return loaded
}

// path finds api.json: SQUARE_OPENAPI, else beside the repository root
// (the directory holding go.mod).
func path() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "square-openapi", "api.json"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func load() (*Spec, bool, error) {
	p, err := path()
	if err != nil {
		return nil, false, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	data, err = prune(data)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", p, err)
	}
	// Decoding into the model and resolving the references skips the YAML
	// parse that LoadFromData does for error positions, a second or more
	// under the race detector.
	doc := &openapi3.T{}
	if err := doc.UnmarshalJSON(data); err != nil {
		return nil, false, fmt.Errorf("%s: %w", p, err)
	}
	err = openapi3.NewLoader().ResolveRefsIn(doc, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", p, err)
	}
	for _, a := range allowances {
		if err := a.apply(doc); err != nil {
			return nil, false, fmt.Errorf("allowance %q: %w", a.name, err)
		}
	}
	closeObjects(doc)
	return &Spec{doc: doc}, false, nil
}

// apiPrefixes are the paths of the APIs Tessera uses: Customers (with
// groups), Cards, Merchants, Locations and OAuth. The document is cut down
// to them before it is loaded; an API that Tessera starts to use must be
// added here, or its calls fail as "not an operation of Square's API".
var apiPrefixes = []string{"/v2/customers", "/v2/cards", "/v2/merchants", "/v2/locations", "/oauth2/"}

// prune keeps the operations under apiPrefixes and the schemas they reach.
// The whole document takes the loader several seconds under the race
// detector; this part of it, a fraction of a second. Pruning also drops
// the schemas that the document refers to but does not define (Catalog's
// CatalogModifierToggleOverrideType, …), which make the loader refuse
// the whole file; should one of the kept schemas refer to a missing one,
// it gets an empty definition, which checks nothing rather than failing
// everything.
func prune(data []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	if paths == nil || schemas == nil {
		return nil, errors.New("no paths or components.schemas")
	}
	for p := range paths {
		if !slices.ContainsFunc(apiPrefixes, func(prefix string) bool { return strings.HasPrefix(p, prefix) }) {
			delete(paths, p)
		}
	}
	const prefix = "#/components/schemas/"
	kept := map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && strings.HasPrefix(ref, prefix) {
				name := strings.TrimPrefix(ref, prefix)
				if _, done := kept[name]; !done {
					def, ok := schemas[name]
					if !ok {
						def = map[string]any{}
					}
					kept[name] = def
					walk(def)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(paths)
	for _, name := range eventSchemas {
		walk(map[string]any{"$ref": prefix + name})
	}
	components["schemas"] = kept
	strip(doc, false)
	return json.Marshal(doc)
}

// strip removes the prose and the examples, which are most of the
// document's bytes and none of what the validator checks. Inside a
// properties map the keys are field names (Location has a field
// "description"), so they stay.
func strip(v any, fieldNames bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if !fieldNames && (k == "description" || k == "example" || k == "examples" || strings.HasPrefix(k, "x-")) {
				delete(v, k)
				continue
			}
			strip(x, !fieldNames && k == "properties")
		}
	case []any:
		for _, x := range v {
			strip(x, false)
		}
	}
}

// closeObjects marks every object schema that lists properties, and says
// nothing of others, as allowing no others. Maps (additionalProperties
// with a schema) stay open. Schemas are shared through $ref, so each is
// visited once.
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
		visit(s.AdditionalProperties.Schema)
		for _, sub := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf) {
			visit(sub)
		}
	}
	for _, s := range doc.Components.Schemas {
		visit(s)
	}
}

// Operation is the operation of Square's document a request routes to.
type Operation struct {
	ID    string
	route *routers.Route
	vars  map[string]string
}

// Route finds the operation of a request, whatever its host.
//
// kin-openapi's routers check the whole document first, and Square's does
// not pass (PUT /v2/vendors/{vendor_id} lacks its path parameter, among
// others), so the route is found here: the path template that matches the
// most literal segments wins, so /v2/customers/groups is ListCustomerGroups
// and not RetrieveCustomer with customer_id "groups", as at Square.
func (s *Spec) Route(req *http.Request) (*Operation, error) {
	segs := strings.Split(strings.Trim(req.URL.EscapedPath(), "/"), "/")
	var (
		best      *routers.Route
		bestVars  map[string]string
		bestScore = -1
	)
	for tmpl, item := range s.doc.Paths.Map() {
		op := item.GetOperation(req.Method)
		if op == nil {
			continue
		}
		vars, score, ok := match(strings.Split(strings.Trim(tmpl, "/"), "/"), segs)
		if !ok || score <= bestScore {
			continue
		}
		best = &routers.Route{Spec: s.doc, Path: tmpl, PathItem: item, Method: req.Method, Operation: op}
		bestVars, bestScore = vars, score
	}
	if best == nil {
		return nil, fmt.Errorf("%s %s is not an operation of Square's API", req.Method, req.URL.Path)
	}
	return &Operation{ID: best.Operation.OperationID, route: best, vars: bestVars}, nil
}

// match matches path segments against a template's, returning the path
// parameters and the number of literal segments matched.
func match(tmpl, segs []string) (map[string]string, int, bool) {
	if len(tmpl) != len(segs) {
		return nil, 0, false
	}
	vars, literal := map[string]string{}, 0
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, 0, false
			}
			vars[t[1:len(t)-1]] = v
			continue
		}
		if t != segs[i] {
			return nil, 0, false
		}
		literal++
	}
	return vars, literal, true
}

// options are the validator's settings: every error at once, and no check
// of the OAuth scopes, which the emulator's own tests cover.
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:                        true,
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: true,
		AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
	}
}

func (s *Spec) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	op, err := s.Route(req)
	if err != nil {
		return nil, err
	}
	probe := req.Clone(context.Background())
	probe.URL, _ = url.Parse(specOrigin + req.URL.RequestURI())
	probe.Host = probe.URL.Host
	probe.Body = io.NopCloser(bytes.NewReader(body))
	probe.ContentLength = int64(len(body))
	return &openapi3filter.RequestValidationInput{
		Request:    probe,
		PathParams: op.vars,
		Route:      op.route,
		Options:    options(),
	}, nil
}

// CheckRequest validates a request with its body against the operation it
// routes to: path and query parameters, content type and body.
func (s *Spec) CheckRequest(req *http.Request, body []byte) error {
	in, err := s.input(req, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// CheckResponse validates an answer to req: its status, content type and
// body. Square's document describes only the 200 answer of each operation,
// and every one of its response schemas carries the errors array in which
// Square reports a failure, so an error answer must be a 4xx or 5xx whose
// body is that schema with nothing but errors in it.
func (s *Spec) CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	in, err := s.input(req, nil)
	if err != nil {
		return err
	}
	in.Options.ExcludeRequestBody = true
	validateAs := status
	if status != http.StatusOK {
		if status < 400 || status > 599 {
			return fmt.Errorf("status %d is neither 200 nor an error status", status)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return fmt.Errorf("error answer is not a JSON object: %w", err)
		}
		var errs []json.RawMessage
		_ = json.Unmarshal(fields["errors"], &errs)
		if len(fields) != 1 || len(errs) == 0 {
			return fmt.Errorf("error answer %s has more or less than a non-empty errors array", body)
		}
		validateAs = http.StatusOK
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type = %q, want application/json", ct)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 validateAs,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                in.Options,
	})
}

// Short trims a validator error to its first lines: kin-openapi prints
// the whole schema with each failure, which drowns the message.
func Short(err error) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	for line := range strings.Lines(err.Error()) {
		if strings.HasPrefix(strings.TrimSpace(line), "Schema:") {
			break
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

// eventSchemas names the schema of each webhook event squarelocal sends.
// The document ties them together only in x-webhook, which prune strips.
var eventSchemas = map[string]string{
	"customer.created":            "CustomerCreatedEvent",
	"customer.updated":            "CustomerUpdatedEvent",
	"customer.deleted":            "CustomerDeletedEvent",
	"oauth.authorization.revoked": "OauthAuthorizationRevokedEvent",
}

// CheckEvent validates the body of a webhook notification against the
// schema of its event type, closed as answers are.
func (s *Spec) CheckEvent(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("event is not JSON: %w", err)
	}
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &head)
	name, ok := eventSchemas[head.Type]
	if !ok {
		return fmt.Errorf("event type %q is not one squarelocal sends", head.Type)
	}
	ref := s.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("the document has no schema %s", name)
	}
	return ref.Value.VisitJSON(v)
}

// OperationInfo names one operation of the document.
type OperationInfo struct {
	ID, Method, Path string
}

// Operations lists every operation of the document.
func (s *Spec) Operations() []OperationInfo {
	var out []OperationInfo
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, OperationInfo{ID: op.OperationID, Method: method, Path: path})
		}
	}
	return out
}
