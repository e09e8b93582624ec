package squarelocal

import (
	"crypto/rand"
	"encoding/base64"
	mrand "math/rand/v2"
)

// idSource makes ids in the shapes Square uses (docs/square.md#ids). Data ids
// come from a seeded generator so demo data is the same on every start;
// secrets (tokens, codes) come from crypto/rand. Callers hold s.mu.
type idSource struct {
	rng *mrand.Rand
}

func newIDSource(seed int64) *idSource {
	return &idSource{rng: mrand.New(mrand.NewPCG(uint64(seed), 0x7e55e7a))}
}

const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func (g *idSource) chars(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// customer returns a 26-character customer or group id.
func (g *idSource) customer() string { return g.chars(26) }

// merchant returns a 13-character merchant or location id.
func (g *idSource) merchant() string { return g.chars(13) }

// card returns a card id: "ccof:" and 19 characters.
func (g *idSource) card() string { return "ccof:" + g.chars(19) }

// token returns an unguessable secret with a recognisable prefix.
func (g *idSource) token(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
