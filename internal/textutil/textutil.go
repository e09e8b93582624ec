// Package textutil holds the small text checks and the random tokens that
// several packages need, so that each exists once and agrees everywhere.
package textutil

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// IsDigits reports whether s is one or more ASCII digits.
func IsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// IsAlnum reports whether s holds only ASCII letters and digits. The empty
// string passes: callers that need a value check for it themselves.
func IsAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

// IsIDSafe reports whether s holds only ASCII letters, digits, '-' and
// '_': the characters of Square's ids and of the tokens Token makes.
func IsIDSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !isAlnumByte(ch) && ch != '-' && ch != '_' {
			return false
		}
	}
	return true
}

func isAlnumByte(ch byte) bool {
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
}

// phoneSeparators are the characters people type between a phone
// number's digits.
const phoneSeparators = " -.()/"

// IsPhoneText reports whether s reads as a phone number: digits and the
// separators people type between them, an optional + in front, and at
// least one digit. It says nothing of the number's length.
func IsPhoneText(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	digits := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch >= '0' && ch <= '9':
			digits++
		case strings.IndexByte(phoneSeparators, ch) >= 0:
		default:
			return false
		}
	}
	return digits > 0
}

// PhoneDigits is a phone number as dialled: its digits, with a leading +
// kept when the number starts with one. Every separator people type (spaces,
// dashes, dots, parentheses, slashes) is dropped.
func PhoneDigits(phone string) string {
	phone = strings.TrimSpace(phone)
	var b strings.Builder
	b.Grow(len(phone))
	if strings.HasPrefix(phone, "+") {
		b.WriteByte('+')
	}
	for i := 0; i < len(phone); i++ {
		if ch := phone[i]; ch >= '0' && ch <= '9' {
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// Token returns n random bytes from crypto/rand as unpadded URL-safe
// base64: 16 bytes make a 22-character token of 128 bits.
func Token(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error on the platforms Go supports;
	// it crashes the program itself rather than return weak bytes.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
