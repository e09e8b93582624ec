package squarelocal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Card tokens are what CreateCard takes as source_id and the deprecated
// CreateCustomerCard as card_nonce (docs/square.md#card-tokens). Two kinds exist:
//
//   - the fixed sandbox test values (docs/square.md#sandbox-test-values: "cnon:card-nonce-ok" and its
//     failing siblings), reusable like Square's;
//   - tokens made by the card form of square.js, the Web Payments SDK
//     stand-in: "cnon:" followed by the unpadded base64url encoding of a
//     JSON cardToken. The browser builds them itself from one of the test
//     card numbers (docs/square.md#sandbox-test-values), so card numbers never reach the emulator: the
//     token holds the BIN and last four digits only. Each is single-use.
//
// TestCardToken builds the second kind in Go exactly as square.js does.
//
// Strong Customer Authentication (SCA): some test cards stand for cards
// whose bank requires the buyer to be verified before the card is stored
// (the sandbox's SCA test values). CreateCard refuses them with
// CARD_DECLINED_VERIFICATION_REQUIRED unless the token was made with
// verification details (card.tokenize(verificationDetails), the SDK's way
// since verifyBuyer was deprecated) and the verification passed, or a
// verification_token from the deprecated payments.verifyBuyer() for that
// very token comes with it. Cards of other regions need no verification.

// Outcomes a stand-in token carries: what CreateCard does with the card.
// The card form cannot know them for certain, as Square's cannot, so it
// tokenizes the error-trigger cards successfully and CreateCard fails.
const (
	outcomeOK = "ok"
	// outcomeDeclined is PAN 4000000000000002.
	outcomeDeclined = "declined"
	// outcomeVerificationRequired is PAN 4000000000000010 (card-on-file
	// authorization declined).
	outcomeVerificationRequired = "verification_required"
	// outcomeCVV is CVV 911.
	outcomeCVV = "cvv"
	// outcomePostal is postal code 99999.
	outcomePostal = "postal"
	// outcomeExpiration is expiry 01/40.
	outcomeExpiration = "expiration"
)

// How a card's bank verifies the buyer (SCA), for the sandbox's SCA test
// cards; "" is a card that needs no verification.
const (
	// scaFrictionless passes verification without asking the buyer.
	scaFrictionless = "frictionless"
	// scaChallenge asks the buyer for a code (123456) in a modal, unless
	// the seller keyed the card in (a mail or telephone order, which SCA
	// exempts).
	scaChallenge = "challenge"
	// scaFailed fails verification without asking the buyer.
	scaFailed = "failed"
)

// What a token says of its verification.
const (
	// verifiedNone: tokenized without verification details.
	verifiedNone = ""
	verifiedOK   = "ok"
	// verifiedFailed: the bank did not verify the buyer.
	verifiedFailed = "failed"
)

// scaChallengeCode is the code the sandbox's challenge cards accept.
const scaChallengeCode = "123456"

// testCard is one of Square's sandbox test card numbers (docs/square.md#sandbox-test-values).
type testCard struct {
	Number string
	Brand  string
	CVVLen int
	// Outcome is forced by the number itself ("" for outcomeOK).
	Outcome string
	// SCA is how the card's bank verifies the buyer; "" for none needed.
	SCA string
}

// testCards must list the same numbers as TEST_CARDS in square.js; a test
// checks that it does.
var testCards = []testCard{
	{Number: "4111111111111111", Brand: "VISA", CVVLen: 3},
	{Number: "5105105105105100", Brand: "MASTERCARD", CVVLen: 3},
	{Number: "6011000000000004", Brand: "DISCOVER", CVVLen: 3},
	{Number: "30000000000004", Brand: "DISCOVER_DINERS", CVVLen: 3},
	{Number: "3569990010095841", Brand: "JCB", CVVLen: 3},
	{Number: "340000000000009", Brand: "AMERICAN_EXPRESS", CVVLen: 4},
	{Number: "6222988812340000", Brand: "CHINA_UNIONPAY", CVVLen: 3},
	{Number: "4000000000000002", Brand: "VISA", CVVLen: 3, Outcome: outcomeDeclined},
	{Number: "4000000000000010", Brand: "VISA", CVVLen: 3, Outcome: outcomeVerificationRequired},
	// The sandbox's SCA test cards.
	{Number: "4800000000000004", Brand: "VISA", CVVLen: 3, SCA: scaFrictionless},
	{Number: "5222220000000005", Brand: "MASTERCARD", CVVLen: 3, SCA: scaFrictionless},
	{Number: "6011000000201016", Brand: "DISCOVER", CVVLen: 3, SCA: scaFrictionless},
	{Number: "5248480000210034", Brand: "MASTERCARD", CVVLen: 3, SCA: scaChallenge},
	{Number: "4811110000000008", Brand: "VISA", CVVLen: 3, SCA: scaFailed},
}

// findTestCard returns the test card with the given BIN, last four digits
// and brand, as a token describes it.
func findTestCard(bin, last4, brand string) *testCard {
	for i := range testCards {
		c := &testCards[i]
		if c.Number[:6] == bin && c.Number[len(c.Number)-4:] == last4 && c.Brand == brand {
			return c
		}
	}
	return nil
}

// cardToken is the JSON inside a stand-in token. Field names are shared
// with square.js.
type cardToken struct {
	V        int    `json:"v"`
	Brand    string `json:"brand"`
	Bin      string `json:"bin"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	Postal   string `json:"postal"`
	Outcome  string `json:"outcome"`
	Nonce    string `json:"nonce"`
	// Verified is the outcome of verifying the buyer while tokenizing:
	// verifiedNone when no verification details were given.
	Verified string `json:"verified,omitempty"`
}

const cardTokenVersion = 1

var (
	cardNoncePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)
	cardPostalPattern = regexp.MustCompile(`^[A-Za-z0-9 -]{1,10}$`)
	cardDigitsPattern = regexp.MustCompile(`^[0-9]+$`)
)

// CardFieldError is a card form entry that the Web Payments SDK stand-in
// refuses before tokenizing, as its tokenize() reports with status
// "Invalid". Field is "cardNumber", "expirationDate", "cvv" or "postalCode".
type CardFieldError struct {
	Field   string
	Message string
}

func (e *CardFieldError) Error() string { return e.Field + ": " + e.Message }

// TestCardToken tokenizes card details as the card form of the Web
// Payments SDK stand-in (GET /v1/square.js) does in the browser, for tests
// that cannot run a browser. number is one of the sandbox test cards of
// docs/square.md#sandbox-test-values (spaces and dashes allowed), exp is "MM/YY",
// "MM/YYYY" or "MMYY", cvv has 3 digits (4 for American Express) and
// postal is a postal code. The error-trigger values (CVV 911, postal
// 99999, expiry 01/40, PAN 4000000000000002 or 4000000000000010) tokenize
// and then fail CreateCard with INVALID_CARD_DATA, as in Square's sandbox.
// Entries the form refuses give a *CardFieldError. Each token can make one
// card.
//
// With verification details, the token carries the outcome of verifying
// the buyer, as card.tokenize(verificationDetails) does; a challenge card
// passes, as if the buyer typed the right code.
func (s *Server) TestCardToken(number, exp, cvv, postal string, verify ...VerificationDetails) (string, error) {
	tok, err := tokenizeCard(number, exp, cvv, postal, s.Now())
	if err != nil {
		return "", err
	}
	if len(verify) > 0 {
		tok.Verified = verifyBuyer(cardOf(tok), verify[0], scaChallengeCode)
	}
	return encodeCardToken(tok), nil
}

// VerificationDetails is what the SDK's card.tokenize(verificationDetails)
// and the deprecated payments.verifyBuyer() take, as far as the emulator
// reads it.
type VerificationDetails struct {
	// Intent is "STORE", "CHARGE" or "CHARGE_AND_STORE".
	Intent string
	// SellerKeyedIn says the seller typed the card in for the buyer: a
	// mail or telephone order, which SCA exempts from a challenge.
	SellerKeyedIn bool
}

// verifyBuyer is the outcome of verifying the buyer of card: verifiedOK
// or verifiedFailed. code is what the buyer typed into a challenge.
// square.js decides the same way.
func verifyBuyer(card *testCard, d VerificationDetails, code string) string {
	switch {
	case card == nil:
		return verifiedFailed
	case card.SCA == scaFailed:
		return verifiedFailed
	case card.SCA == scaChallenge && !d.SellerKeyedIn && code != scaChallengeCode:
		return verifiedFailed
	}
	return verifiedOK
}

// cardOf is the test card a token stands for, nil if none.
func cardOf(t *cardToken) *testCard {
	return findTestCard(t.Bin, t.Last4, t.Brand)
}

// tokenizeCard mirrors validateCard in square.js: same checks, same order,
// same messages. now decides whether the card has expired.
func tokenizeCard(number, exp, cvv, postal string, now time.Time) (*cardToken, error) {
	number = strings.NewReplacer(" ", "", "-", "").Replace(number)
	var card *testCard
	for i := range testCards {
		if testCards[i].Number == number {
			card = &testCards[i]
		}
	}
	if card == nil {
		if len(number) >= 12 && len(number) <= 19 && cardDigitsPattern.MatchString(number) && luhnValid(number) {
			return nil, &CardFieldError{"cardNumber", "This is not a sandbox test card."}
		}
		return nil, &CardFieldError{"cardNumber", "Card number is not valid."}
	}
	month, year, ok := parseCardExpiry(exp)
	if !ok {
		return nil, &CardFieldError{"expirationDate", "Expiration date is not valid."}
	}
	if cardExpired(month, year, now) {
		return nil, &CardFieldError{"expirationDate", "Expiration date is in the past."}
	}
	cvv = strings.TrimSpace(cvv)
	if len(cvv) != card.CVVLen || !cardDigitsPattern.MatchString(cvv) {
		return nil, &CardFieldError{"cvv", "CVV is not valid."}
	}
	postal = strings.TrimSpace(postal)
	if postal == "" {
		return nil, &CardFieldError{"postalCode", "Postal code is required."}
	}
	if !cardPostalPattern.MatchString(postal) {
		return nil, &CardFieldError{"postalCode", "Postal code is not valid."}
	}
	outcome := outcomeOK
	switch {
	case card.Outcome != "":
		outcome = card.Outcome
	case cvv == "911":
		outcome = outcomeCVV
	case postal == "99999":
		outcome = outcomePostal
	case month == 1 && year == 2040:
		outcome = outcomeExpiration
	}
	return &cardToken{
		V: cardTokenVersion, Brand: card.Brand, Bin: number[:6], Last4: number[len(number)-4:],
		ExpMonth: month, ExpYear: year, Postal: postal, Outcome: outcome, Nonce: newNonce(),
	}, nil
}

var cardExpiryPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{1,2})/(\d{2}|\d{4})$`),
	regexp.MustCompile(`^(\d{2})(\d{2})$`),
}

// parseCardExpiry reads "MM/YY", "MM/YYYY" or "MMYY" (spaces ignored).
func parseCardExpiry(exp string) (month, year int, ok bool) {
	exp = strings.ReplaceAll(exp, " ", "")
	for _, p := range cardExpiryPatterns {
		m := p.FindStringSubmatch(exp)
		if m == nil {
			continue
		}
		month, _ = strconv.Atoi(m[1])
		year, _ = strconv.Atoi(m[2])
		if len(m[2]) == 2 {
			year += 2000
		}
		return month, year, month >= 1 && month <= 12
	}
	return 0, 0, false
}

// cardExpired reports whether a card valid through month/year has expired at
// now: cards work until the end of their expiry month.
func cardExpired(month, year int, now time.Time) bool {
	y, m, _ := now.Date()
	return year < y || year == y && month < int(m)
}

// luhnValid reports whether a string of digits passes the Luhn check.
func luhnValid(number string) bool {
	sum, double := 0, false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// newNonce returns 144 random bits in base64url: the single-use part of a
// card token, or a CSP nonce.
func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func encodeCardToken(t *cardToken) string {
	body, _ := json.Marshal(t)
	return "cnon:" + base64.RawURLEncoding.EncodeToString(body)
}

// decodeCardToken reads a stand-in token and checks that it describes a
// test card; ok is false for anything else.
func decodeCardToken(source string) (*cardToken, bool) {
	raw, found := strings.CutPrefix(source, "cnon:")
	if !found {
		return nil, false
	}
	body, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, false
	}
	var t cardToken
	if json.Unmarshal(body, &t) != nil {
		return nil, false
	}
	card := findTestCard(t.Bin, t.Last4, t.Brand)
	switch {
	case t.V != cardTokenVersion, card == nil, !cardNoncePattern.MatchString(t.Nonce),
		t.ExpMonth < 1 || t.ExpMonth > 12, t.ExpYear < 2000 || t.ExpYear > 9999,
		t.Postal != "" && !cardPostalPattern.MatchString(t.Postal):
		return nil, false
	}
	switch t.Outcome {
	case outcomeOK, outcomeDeclined, outcomeVerificationRequired, outcomeCVV, outcomePostal, outcomeExpiration:
	default:
		return nil, false
	}
	switch t.Verified {
	case verifiedNone, verifiedOK, verifiedFailed:
	default:
		return nil, false
	}
	// The number decides its own outcome, whatever the token claims.
	if card.Outcome != "" {
		t.Outcome = card.Outcome
	}
	return &t, true
}

// Fixed sandbox test values (docs/square.md#sandbox-test-values).
const (
	nonceOK          = "cnon:card-nonce-ok"
	nonceAlreadyUsed = "cnon:card-nonce-already-used"
)

// failingNonces are the fixed test values that CreateCard refuses as
// INVALID_CARD_DATA.
var failingNonces = map[string]bool{
	"cnon:card-nonce-declined":            true,
	"cnon:card-nonce-rejected-cvv":        true,
	"cnon:card-nonce-rejected-postalcode": true,
	"cnon:card-nonce-rejected-expiration": true,
}

// cardSource is a card token resolved to the card it stands for.
type cardSource struct {
	Brand, Bin, Last4 string
	ExpMonth, ExpYear int64
	// Postal is the postal code typed into the card form, "" if unknown.
	Postal string
	// UseKey is the token's key in s.nonces; "" for the reusable fixed
	// test values.
	UseKey string
	// SCA is how the card's bank verifies the buyer ("" for no need), and
	// Verified what the token says of a verification made with it.
	SCA, Verified string
}

// fingerprint identifies the same card across tokens, as Square's
// per-application fingerprint does.
func (c *cardSource) fingerprint() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "squarelocal-card\x00%s\x00%s\x00%d\x00%d", c.Bin, c.Last4, c.ExpMonth, c.ExpYear))
	return "sq-1-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// newCard makes the Card a source stands for; the caller sets the rest.
func (c *cardSource) newCard() *Card {
	return &Card{
		CardBrand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
		Fingerprint: c.fingerprint(), Enabled: true, CardType: "CREDIT",
		PrepaidType: "NOT_PREPAID", Bin: c.Bin, Version: 1,
	}
}

// invalidCardData is Square's answer to any card it will not store (docs/square.md#cards-api).
func invalidCardData(field string) *apiError {
	return badRequest("INVALID_CARD_DATA", field, "Invalid card data.")
}

// sourceUsed is the answer to a token used before (docs/square.md#card-tokens).
func sourceUsed(field string) *apiError {
	return badRequest("SOURCE_USED", field, "Source was used before.")
}

// resolveCardSource turns a card token into the card it stands for, or
// the error CreateCard answers for it; field names the request field that
// carried the token. Whether a single-use token was already used is left to
// the caller, which knows what a repeat means for its endpoint.
func resolveCardSource(source, field string, now time.Time) (*cardSource, *apiError) {
	switch {
	case source == nonceOK:
		return &cardSource{Brand: "VISA", Bin: "411111", Last4: "1111", ExpMonth: 12, ExpYear: int64(now.Year() + 3)}, nil
	case source == nonceAlreadyUsed:
		return nil, sourceUsed(field)
	case failingNonces[source]:
		return nil, invalidCardData(field)
	}
	// Everything else that is not a stand-in token (a card on file, a gift
	// card, a payment id, garbage) is refused: the emulator stores only
	// cards typed into its card form.
	t, ok := decodeCardToken(source)
	if !ok || t.Outcome != outcomeOK || cardExpired(t.ExpMonth, t.ExpYear, now) {
		return nil, invalidCardData(field)
	}
	return &cardSource{
		Brand: t.Brand, Bin: t.Bin, Last4: t.Last4, ExpMonth: int64(t.ExpMonth), ExpYear: int64(t.ExpYear),
		Postal: t.Postal, UseKey: "cnon:" + t.Nonce, SCA: cardOf(t).SCA, Verified: t.Verified,
	}, nil
}

// verificationToken is the JSON inside a verification token of the
// deprecated payments.verifyBuyer() of square.js: "verf:" and the
// unpadded base64url of it. It is good for the card token it was made
// for.
type verificationToken struct {
	V      int    `json:"v"`
	Nonce  string `json:"nonce"`
	Intent string `json:"intent"`
	Result string `json:"result"`
}

// verificationRequired is Square's refusal of a card whose bank requires
// the buyer to be verified first.
func verificationRequired() *apiError {
	return newError(http.StatusBadRequest, "PAYMENT_METHOD_ERROR", "CARD_DECLINED_VERIFICATION_REQUIRED", "",
		"Card declined. A verification is required to process this payment. See https://developer.squareup.com/docs/sca-overview for more information.")
}

// checkVerification refuses a card that needs the buyer verified (SCA)
// unless its token was verified while tokenizing, or verification is a
// passed verifyBuyer() token for this card token with an intent to store.
func checkVerification(src *cardSource, verification string) *apiError {
	if src.SCA == "" || src.Verified == verifiedOK {
		return nil
	}
	raw, found := strings.CutPrefix(verification, "verf:")
	body, err := base64.RawURLEncoding.DecodeString(raw)
	var v verificationToken
	if !found || err != nil || json.Unmarshal(body, &v) != nil || v.V != cardTokenVersion ||
		"cnon:"+v.Nonce != src.UseKey || v.Result != verifiedOK ||
		(v.Intent != "STORE" && v.Intent != "CHARGE_AND_STORE") {
		return verificationRequired()
	}
	return nil
}

// checkAVS fails a card whose billing postal code is the sandbox's AVS
// failure trigger, wherever the code was given.
func checkAVS(postal, field string) *apiError {
	if strings.TrimSpace(postal) == "99999" {
		return invalidCardData(field)
	}
	return nil
}
