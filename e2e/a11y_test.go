package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// axeFinding is one of axe-core's violations, with the elements it found.
type axeFinding struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	URL    string   `json:"helpUrl"`
	Nodes  []string `json:"nodes"`
}

// runAxe is axe-core's check of the page as it is now: WCAG 2.x A and AA
// and best practices, returning every violation.
const runAxe = `async () => {
	const r = await axe.run(document, { resultTypes: ['violations'] });
	return JSON.stringify(r.violations.map((v) => ({
		id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
	})));
}`

// checkAxe fails the test on serious or critical findings on the page and
// logs the others.
func checkAxe(t *testing.T, page playwright.Page, what string) {
	t.Helper()
	out, err := page.Evaluate(runAxe)
	check(t, err, "running axe-core on "+what)
	var findings []axeFinding
	s, _ := out.(string)
	check(t, json.Unmarshal([]byte(s), &findings), "axe-core's answer")
	for _, f := range findings {
		msg := fmt.Sprintf("%s (%s): axe %s %q: %s\n\t%s", what, page.URL(), f.Impact, f.ID, f.Help, strings.Join(f.Nodes, "\n\t"))
		switch f.Impact {
		case "serious", "critical":
			t.Error(msg)
		default:
			t.Log(msg)
		}
	}
}

// Every page a person sees on the way through Tessera passes axe-core
// without serious or critical findings. axe-core is injected as an init
// script, so the pages keep their CSP (which forbids inline scripts).
func TestAccessibility(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})

	_, err := page.Goto("/login")
	check(t, err, "opening /login")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleButton, "Sign in with Square")).ToBeVisible(), "the sign-in page")
	checkAxe(t, page, "the sign-in page")

	check(t, byRole(page, *playwright.AriaRoleButton, "Sign in with Square").Click(), `clicking "Sign in with Square"`)
	check(t, expect.Locator(page.GetByTestId("consent")).ToBeVisible(), "the consent page")
	checkAxe(t, page, "squarelocal's consent page")

	check(t, byRole(page, *playwright.AriaRoleButton, "Allow").Click(), `clicking "Allow"`)
	check(t, expect.Locator(page.GetByTestId("customer-table")).ToBeVisible(), "the directory")
	checkAxe(t, page, "the directory")

	check(t, byRole(page, *playwright.AriaRoleLink, "Connection").Click(), `clicking "Connection"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/settings/connection")), "the connection page")
	check(t, expect.Locator(page.GetByTestId("connection")).ToBeVisible(), "the connection details")
	checkAxe(t, page, "the connection page")

	check(t, byRole(page, *playwright.AriaRoleButton, "Sign out").Click(), `clicking "Sign out"`)
	check(t, expect.Locator(page.GetByTestId("flash")).ToBeVisible(), "the sign-out message")
	checkAxe(t, page, "the sign-in page after signing out")

	check(t, byRole(page, *playwright.AriaRoleButton, "Sign in with Square").Click(), `clicking "Sign in with Square"`)
	check(t, byRole(page, *playwright.AriaRoleButton, "Deny").Click(), `clicking "Deny"`)
	check(t, expect.Locator(page.GetByTestId("error-page")).ToBeVisible(), "the error page")
	checkAxe(t, page, "the error page")
}
