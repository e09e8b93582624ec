package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Distinct HKDF info strings give each secret independent keys for signing
// ids and for encrypting records, so that neither use weakens the other.
const (
	signInfo    = "tessera session id signature v1"
	encryptInfo = "tessera session data encryption v1"
)

const (
	// idBytes of randomness make a session id: 256 bits, far past the 128
	// that guessing would need.
	idBytes = 32
	// encodedIDLen is the length of an id in unpadded base64url.
	encodedIDLen = (idBytes*8 + 5) / 6
	// sealVersion leads every encrypted record, so that the format can
	// change without guessing what an old row holds.
	sealVersion byte = 1
)

var b64 = base64.RawURLEncoding

// errUndecryptable means no key opens a record: it was written with a
// removed key, or altered, or moved from another row.
var errUndecryptable = errors.New("session: record cannot be decrypted with any key")

// key is what one secret yields.
type key struct {
	sign []byte
	aead cipher.AEAD
}

// deriveKeys derives the keys of each secret, newest first.
func deriveKeys(secrets [][]byte) ([]key, error) {
	if len(secrets) == 0 {
		return nil, errors.New("session: no secret")
	}
	keys := make([]key, len(secrets))
	for i, secret := range secrets {
		if len(secret) < minSecretLen {
			return nil, fmt.Errorf("session: secret %d of %d is shorter than %d bytes", i+1, len(secrets), minSecretLen)
		}
		sign, err := hkdf.Key(sha256.New, secret, nil, signInfo, 32)
		if err != nil {
			return nil, fmt.Errorf("session: derive keys: %w", err)
		}
		enc, err := hkdf.Key(sha256.New, secret, nil, encryptInfo, 32)
		if err != nil {
			return nil, fmt.Errorf("session: derive keys: %w", err)
		}
		block, err := aes.NewCipher(enc)
		if err != nil {
			return nil, fmt.Errorf("session: derive keys: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("session: derive keys: %w", err)
		}
		keys[i] = key{sign: sign, aead: aead}
	}
	return keys, nil
}

// signature is the HMAC-SHA256 of a session id under k.
func (k key) signature(id string) string {
	mac := hmac.New(sha256.New, k.sign)
	mac.Write([]byte(id))
	return b64.EncodeToString(mac.Sum(nil))
}

// cookieValue is what the cookie carries: the id and its signature under
// the newest key, and nothing else.
func (m *Manager) cookieValue(id string) string {
	return id + "." + m.keys[0].signature(id)
}

// parseCookie checks a cookie value against every key. It returns the id
// and the index of the key that signed it (0 is the newest).
func (m *Manager) parseCookie(value string) (id string, keyIndex int, ok bool) {
	id, sig, found := strings.Cut(value, ".")
	if !found || len(id) != encodedIDLen || !isBase64URL(id) {
		return "", 0, false
	}
	for i, k := range m.keys {
		if hmac.Equal([]byte(sig), []byte(k.signature(id))) {
			return id, i, true
		}
	}
	return "", 0, false
}

func isBase64URL(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// seal encrypts a record with the newest key. The session id is the
// associated data, so a record copied into another row does not open there.
func (m *Manager) seal(id string, plaintext []byte) []byte {
	aead := m.keys[0].aead
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	nonce := out[1:]
	// A random nonce per write, because a counter would need state shared
	// by every process and restart; 96 bits keep collisions out of reach at
	// the number of writes one key sees before rotation.
	rand.Read(nonce)
	return aead.Seal(out, nonce, plaintext, []byte(id))
}

// open decrypts a record, trying the keys newest first, and returns the
// index of the key that opened it.
func (m *Manager) open(id string, sealed []byte) ([]byte, int, error) {
	for i, k := range m.keys {
		n := k.aead.NonceSize()
		if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != sealVersion {
			return nil, 0, errUndecryptable
		}
		plaintext, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(id))
		if err == nil {
			return plaintext, i, nil
		}
	}
	return nil, 0, errUndecryptable
}
