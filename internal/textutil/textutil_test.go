package textutil

import "testing"

func TestIsDigits(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"0123": true, "": false, "12a": false, "١٢": false, " 1": false} {
		if got := IsDigits(in); got != want {
			t.Errorf("IsDigits(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsAlnumAndIDSafe(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in            string
		alnum, idSafe bool
	}{
		{"DE123abc", true, true},
		{"", true, true},
		{"a-b_c", false, true},
		{"a b", false, false},
		{"é", false, false},
		{"a/b", false, false},
	}
	for _, c := range cases {
		if got := IsAlnum(c.in); got != c.alnum {
			t.Errorf("IsAlnum(%q) = %v, want %v", c.in, got, c.alnum)
		}
		if got := IsIDSafe(c.in); got != c.idSafe {
			t.Errorf("IsIDSafe(%q) = %v, want %v", c.in, got, c.idSafe)
		}
	}
}

func TestPhoneTextAndDigitsAgreeOnEverySeparator(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in     string
		phone  bool
		digits string
	}{
		{"+1 (360) 555-0155", true, "+13605550155"},
		{"206.555.0100", true, "2065550100"},
		{"030/1234567", true, "0301234567"},
		{" +44 20 7946 0958 ", true, "+442079460958"},
		{"1+2", false, "12"},
		{"+", false, "+"},
		{"ada@example.com", false, ""},
		{"", false, ""},
	}
	for _, c := range cases {
		if got := IsPhoneText(c.in); got != c.phone {
			t.Errorf("IsPhoneText(%q) = %v, want %v", c.in, got, c.phone)
		}
		if got := PhoneDigits(c.in); got != c.digits {
			t.Errorf("PhoneDigits(%q) = %q, want %q", c.in, got, c.digits)
		}
	}
}

func TestTokenIsRandomAndURLSafe(t *testing.T) {
	t.Parallel()
	a, b := Token(16), Token(16)
	if len(a) != 22 || !IsIDSafe(a) {
		t.Errorf("Token(16) = %q, want 22 URL-safe characters", a)
	}
	if a == b {
		t.Errorf("Token(16) twice = %q both times, want different tokens", a)
	}
}
