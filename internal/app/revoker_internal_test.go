package app

import (
	"testing"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestRevokerIsNilWhereSquareWouldRefuseARevocation(t *testing.T) {
	t.Parallel()
	client, err := square.NewClient(square.Options{BaseURL: square.SandboxBaseURL, ClientID: "sq0idp-app"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  config.Config
		want bool
	}{
		{"local mode has the emulator's secret", config.Config{Environment: config.Local}, true},
		{"the code flow has the secret", config.Config{Environment: config.Sandbox, ApplicationSecret: "sq0csp-secret"}, true},
		{"PKCE with the secret set revokes", config.Config{Environment: config.Production, ApplicationSecret: "sq0csp-secret", OAuthPKCE: true}, true},
		{"PKCE without the secret cannot", config.Config{Environment: config.Production, OAuthPKCE: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Revoker(&tt.cfg, client) != nil; got != tt.want {
				t.Errorf("Revoker(%s, secret set %t) != nil = %t, want %t", tt.cfg.Environment, tt.cfg.ApplicationSecret != "", got, tt.want)
			}
		})
	}
}
