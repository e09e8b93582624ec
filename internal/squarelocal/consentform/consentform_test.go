package consentform

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

const page = `<main data-testid="consent"><form method="post" action="/squarelocal/oauth2/decision">
<input type="hidden" name="state" value="s1"><input type="hidden" name="client_id" value="c1">
<label><input type="radio" name="merchant_id" value="M1" checked> One</label>
<label><input type="radio" name="merchant_id" value="M2"> Two</label>
<button name="decision" value="allow">Allow</button><button name="decision" value="deny">Deny</button>
</form></main>`

func parse(t *testing.T, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestAnswerPostsTheFormsFieldsWithTheMerchantAndDecision(t *testing.T) {
	at, _ := url.Parse("http://127.0.0.1:8081/squarelocal/oauth2/authorize?client_id=c1")
	target, values, err := Answer(parse(t, page), at, 3, Deny)
	if err != nil {
		t.Fatal(err)
	}
	if got := target.String(); got != "http://127.0.0.1:8081/squarelocal/oauth2/decision" {
		t.Errorf("target = %s, want the form's action on the page's origin", got)
	}
	want := url.Values{"state": {"s1"}, "client_id": {"c1"}, "merchant_id": {"M2"}, "decision": {"deny"}}
	if values.Encode() != want.Encode() {
		t.Errorf("values = %s, want %s", values.Encode(), want.Encode())
	}
}

func TestAnswerSaysWhatThePageLacks(t *testing.T) {
	at, _ := url.Parse("http://127.0.0.1/squarelocal/oauth2/authorize")
	for name, tc := range map[string]struct{ html, decision, want string }{
		"no form":     {`<p>Sign in</p>`, Allow, "0 forms"},
		"no merchant": {strings.ReplaceAll(page, `name="merchant_id"`, `name="other"`), Allow, "no merchant"},
		"no button":   {page, "maybe", `no "maybe" button`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Answer(parse(t, tc.html), at, 0, tc.decision)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
