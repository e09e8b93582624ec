package session

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestLiveTokensLendEachMerchantsNewestLiveToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	ctx := t.Context()
	signIn := func(merchant, token string, expiry time.Time) {
		t.Helper()
		if _, err := f.m.Login(ctx, httptest.NewRecorder(), nil, Data{MerchantID: merchant, Tokens: Tokens{AccessToken: token, Expiry: expiry}}); err != nil {
			t.Fatalf("Login(%s) = %v", merchant, err)
		}
	}
	month := f.clock.Now().Add(30 * 24 * time.Hour)
	signIn("MA", "token-A-old", month)
	signIn("MC", "token-C-timed-out", month)
	f.clock.Advance(20 * time.Minute)
	signIn("MA", "token-A-new", month)
	signIn("MB", "token-B-expired", f.clock.Now().Add(-time.Minute))
	f.clock.Advance(15 * time.Minute) // MC's session is now past the 30-minute idle timeout

	got, err := f.m.LiveTokens(ctx, "")
	if err != nil {
		t.Fatalf("LiveTokens() = %v", err)
	}
	want := map[string]string{"MA": "token-A-new"}
	if len(got) != len(want) || got["MA"] != want["MA"] {
		t.Errorf("LiveTokens() = %v, want %v: the newest live session's token, none expired or timed out", got, want)
	}
	one, err := f.m.LiveTokens(ctx, "MB")
	if err != nil || len(one) != 0 {
		t.Errorf("LiveTokens(MB) = %v, %v; want none: its only token has expired", one, err)
	}
}
