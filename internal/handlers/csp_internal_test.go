package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestTheSignInFormMayRedirectOnlyToSquaresAuthorizeOrigin(t *testing.T) {
	base, _ := url.Parse("https://tessera.example.com")
	cases := []struct {
		name      string
		client    square.Options
		wantExtra []string
	}{
		{"sandbox adds Square's sandbox origin", square.Options{BaseURL: square.SandboxBaseURL}, []string{"https://connect.squareupsandbox.com"}},
		{"production adds Square's origin", square.Options{BaseURL: square.ProductionBaseURL}, []string{"https://connect.squareup.com"}},
		{"local mode's consent page is our own origin", square.Options{BaseURL: "http://squarelocal.invalid", AuthorizeURL: "https://tessera.example.com/squarelocal/oauth2/authorize"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, err := square.NewClient(tc.client)
			if err != nil {
				t.Fatal(err)
			}
			a := &app{cfg: &config.Config{BaseURL: base}, square: client}
			got := a.authorizeOrigins()
			if strings.Join(got, " ") != strings.Join(tc.wantExtra, " ") {
				t.Errorf("authorizeOrigins() = %v, want %v", got, tc.wantExtra)
			}
			csp := contentSecurityPolicy("n", got, nil)
			if want := "form-action " + strings.Join(append([]string{"'self'"}, tc.wantExtra...), " "); !strings.Contains(csp, want) {
				t.Errorf("CSP = %q, want it to contain %q", csp, want)
			}
		})
	}
}
