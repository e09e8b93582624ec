package squarelocal

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// futureExpiry is an expiry date two years after the emulator's clock.
func futureExpiry(s *Server) string {
	return fmt.Sprintf("12/%02d", (s.Now().Year()+2)%100)
}

func TestTestCardTokenRefusesWhatTheCardFormRefuses(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	exp := futureExpiry(s)
	lastYear := fmt.Sprintf("01/%d", s.Now().Year()-1)
	tests := []struct {
		name                     string
		number, exp, cvv, postal string
		field, message           string
	}{
		{"a Visa test card with spaces tokenizes", "4111 1111 1111 1111", exp, "111", "98101", "", ""},
		{"an American Express test card needs four CVV digits", "340000000000009", exp, "111", "98101", "cvv", "CVV is not valid."},
		{"an American Express test card with four CVV digits tokenizes", "3400-000000-00009", exp, "1111", "98101", "", ""},
		{"the UnionPay test card tokenizes although it fails the Luhn check", "6222988812340000", exp, "123", "98101", "", ""},
		{"a real-looking card number is not a sandbox test card", "4242424242424242", exp, "123", "98101", "cardNumber", "This is not a sandbox test card."},
		{"a number failing the Luhn check is not valid", "4111111111111112", exp, "123", "98101", "cardNumber", "Card number is not valid."},
		{"letters are not a card number", "4111abcd11111111", exp, "123", "98101", "cardNumber", "Card number is not valid."},
		{"an empty card number is not valid", "", exp, "123", "98101", "cardNumber", "Card number is not valid."},
		{"a month 13 is not an expiry date", "4111111111111111", "13/30", "123", "98101", "expirationDate", "Expiration date is not valid."},
		{"an expiry in the past is refused", "4111111111111111", lastYear, "123", "98101", "expirationDate", "Expiration date is in the past."},
		{"an expiry as MMYY is read", "4111111111111111", strings.ReplaceAll(exp, "/", ""), "123", "98101", "", ""},
		{"an expiry as MM/YYYY is read", "4111111111111111", "12/" + fmt.Sprint(s.Now().Year()+2), "123", "98101", "", ""},
		{"a two-digit CVV is refused", "4111111111111111", exp, "12", "98101", "cvv", "CVV is not valid."},
		{"an empty postal code is refused", "4111111111111111", exp, "123", " ", "postalCode", "Postal code is required."},
		{"a postal code with symbols is refused", "4111111111111111", exp, "123", "<b>", "postalCode", "Postal code is not valid."},
		{"the error-trigger CVV 911 tokenizes", "4111111111111111", exp, "911", "98101", "", ""},
		{"the error-trigger PAN 4000000000000002 tokenizes", "4000000000000002", exp, "123", "98101", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.TestCardToken(tt.number, tt.exp, tt.cvv, tt.postal)
			if tt.field == "" {
				if err != nil || !strings.HasPrefix(tok, "cnon:") {
					t.Fatalf("TestCardToken(%q, %q, %q, %q) = %q, %v, want a cnon: token", tt.number, tt.exp, tt.cvv, tt.postal, tok, err)
				}
				return
			}
			var fe *CardFieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Message != tt.message {
				t.Fatalf("TestCardToken(%q, %q, %q, %q) error = %v, want %s: %s", tt.number, tt.exp, tt.cvv, tt.postal, err, tt.field, tt.message)
			}
		})
	}
}

func TestCardTokensCarryTheCardButNotItsNumber(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	tests := []struct {
		name, number, cvv, postal, exp string
		brand, bin, last4, outcome     string
	}{
		{"a Visa card", "4111111111111111", "111", "98101", futureExpiry(s), "VISA", "411111", "1111", outcomeOK},
		{"a Diners card", "30000000000004", "111", "98101", futureExpiry(s), "DISCOVER_DINERS", "300000", "0004", outcomeOK},
		{"the declined card", "4000000000000002", "111", "98101", futureExpiry(s), "VISA", "400000", "0002", outcomeDeclined},
		{"the card-on-file declined card", "4000000000000010", "111", "98101", futureExpiry(s), "VISA", "400000", "0010", outcomeVerificationRequired},
		{"a CVV failure", "5105105105105100", "911", "98101", futureExpiry(s), "MASTERCARD", "510510", "5100", outcomeCVV},
		{"a postal code failure", "6011000000000004", "111", "99999", futureExpiry(s), "DISCOVER", "601100", "0004", outcomePostal},
		{"an expiry failure", "3569990010095841", "111", "98101", "01/40", "JCB", "356999", "5841", outcomeExpiration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.TestCardToken(tt.number, tt.exp, tt.cvv, tt.postal)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "cnon:"))
			if strings.Contains(string(raw), tt.number) || strings.Contains(string(raw), `"cvv":`) {
				t.Errorf("token %s holds the card number or CVV", raw)
			}
			got, ok := decodeCardToken(tok)
			if !ok {
				t.Fatalf("decodeCardToken(%q) failed", tok)
			}
			if got.Brand != tt.brand || got.Bin != tt.bin || got.Last4 != tt.last4 || got.Outcome != tt.outcome || got.Postal != tt.postal {
				t.Errorf("decodeCardToken(%s) = %+v, want brand %s bin %s last4 %s outcome %s postal %s", raw, got, tt.brand, tt.bin, tt.last4, tt.outcome, tt.postal)
			}
		})
	}
}

func TestForgedCardTokensAreRefused(t *testing.T) {
	valid := cardToken{V: 1, Brand: "VISA", Bin: "411111", Last4: "1111", ExpMonth: 12, ExpYear: 2099, Postal: "98101", Outcome: outcomeOK, Nonce: "abcdefghijklmnopqrstuvwx"}
	tests := []struct {
		name   string
		change func(*cardToken)
	}{
		{"a card that is not a test card", func(c *cardToken) { c.Bin = "424242"; c.Last4 = "4242" }},
		{"a brand that does not fit the number", func(c *cardToken) { c.Brand = "JCB" }},
		{"an unknown token version", func(c *cardToken) { c.V = 2 }},
		{"an unknown outcome", func(c *cardToken) { c.Outcome = "approved" }},
		{"a short nonce", func(c *cardToken) { c.Nonce = "abc" }},
		{"month 0", func(c *cardToken) { c.ExpMonth = 0 }},
		{"a postal code with markup", func(c *cardToken) { c.Postal = "<script>" }},
	}
	if _, ok := decodeCardToken(encodeCardToken(&valid)); !ok {
		t.Fatalf("decodeCardToken(%+v) failed, want the unchanged token accepted", valid)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := valid
			tt.change(&tok)
			if got, ok := decodeCardToken(encodeCardToken(&tok)); ok {
				t.Errorf("decodeCardToken(%+v) = %+v, want it refused", tok, got)
			}
		})
	}
	for _, garbage := range []string{"cnon:", "cnon:!!!", "cnon:" + base64.RawURLEncoding.EncodeToString([]byte("[]")), "ccof:abc", "nonce"} {
		if got, ok := decodeCardToken(garbage); ok {
			t.Errorf("decodeCardToken(%q) = %+v, want it refused", garbage, got)
		}
	}
}

func TestATokenForADeclinedNumberStaysDeclined(t *testing.T) {
	forged := cardToken{V: 1, Brand: "VISA", Bin: "400000", Last4: "0002", ExpMonth: 12, ExpYear: 2099, Outcome: outcomeOK, Nonce: "abcdefghijklmnopqrstuvwx"}
	got, ok := decodeCardToken(encodeCardToken(&forged))
	if !ok || got.Outcome != outcomeDeclined {
		t.Errorf("decodeCardToken(%+v) = %+v, %v, want outcome %s", forged, got, ok, outcomeDeclined)
	}
}

func TestCardsExpireAtTheEndOfTheirMonth(t *testing.T) {
	now := time.Date(2030, time.June, 30, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		month, year int
		want        bool
	}{
		{6, 2030, false},
		{5, 2030, true},
		{1, 2031, false},
		{12, 2029, true},
	}
	for _, tt := range tests {
		if got := cardExpired(tt.month, tt.year, now); got != tt.want {
			t.Errorf("cardExpired(%d, %d, %v) = %v, want %v", tt.month, tt.year, now, got, tt.want)
		}
	}
}
