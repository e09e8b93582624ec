package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// The profile: GET /customers/:id.

// customerProfile shows one customer with its cards on file. The customer
// and the cards are fetched at once, with the merchant's group names
// (cached, so usually no call): a warm profile costs Square two calls
// running side by side. ?removed=1 lists the removed (disabled) cards too.
func (a *app) customerProfile(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	showRemoved := c.QueryParam("removed") == "1"
	ctx := c.Request().Context()
	client := a.client(c)
	merchantID := sessionOf(c).MerchantID()
	var (
		cu             *square.Customer
		cards          *square.CardPage
		info           *merchantInfo
		errCu, errCard error
		errInfo        error
	)
	// The cards and the group names are extras: they get part of the
	// request's time, so a slow answer leaves room to show the customer
	// with a word about what is missing.
	extraCtx, cancel := partOfDeadline(ctx, 3, 4)
	defer cancel()
	runParallel(
		func() { cu, errCu = client.Customers.Get(ctx, id) },
		func() {
			cards, errCard = client.Cards.List(extraCtx, &square.ListCardsParams{CustomerID: id, IncludeDisabled: showRemoved})
		},
		func() { info, errInfo = a.merchants.get(extraCtx, merchantID, client, a.now()) },
	)
	if errCu != nil {
		return customerReadError(errCu)
	}
	// The customer is what the page is for; without the group names or
	// the cards it is still worth showing, with a word about what is
	// missing.
	if errInfo != nil {
		info = nil
		a.logger.WarnContext(ctx, "merchant info for a profile failed", slog.String("id", requestIDOf(c)), slog.Any("err", errInfo))
	}
	v := profileView(id, cu, info)
	v.Delete.CSRFToken = csrfToken(c)
	v.AddCardURL = cardsPath(id) + "/new"
	v.ShowRemoved = showRemoved
	v.RemovedToggleURL = customerPath(id) + "?removed=1#cards"
	if showRemoved {
		v.RemovedToggleURL = customerPath(id) + "#cards"
	}
	if errCard != nil {
		a.logger.WarnContext(ctx, "listing cards failed", slog.String("id", requestIDOf(c)), slog.Any("err", errCard))
		v.CardsError = "Square did not list the cards on file just now. Reload the page to try again."
	} else {
		v.Cards, v.CardsMore = profileCards(id, cards, csrfToken(c), a.now()), cards.Cursor != ""
	}
	return render(c, http.StatusOK, views.CustomerProfilePage(a.layout(c, v.Name, views.NavCustomers), v))
}

// partOfDeadline returns a context whose deadline comes after num/den of
// the time ctx has left; without a deadline it is ctx itself.
func partOfDeadline(ctx context.Context, num, den int64) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	return context.WithTimeout(ctx, left*time.Duration(num)/time.Duration(den))
}

// runParallel runs the functions at once and returns when all have.
func runParallel(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(fn)
	}
	wg.Wait()
}

// profileView maps a customer to the profile. info, the merchant's
// country and groups, may be nil when Square did not give it.
func profileView(id string, cu *square.Customer, info *merchantInfo) views.CustomerProfileView {
	name := displayName(*cu)
	v := views.CustomerProfileView{
		ID: id, Name: name,
		EditURL:   customerPath(id) + "/edit",
		DeleteURL: customerPath(id) + "/delete",
		Delete:    deleteForm(id, cu),
	}
	line := func(key, label, value string) views.ProfileDetail {
		d := views.ProfileDetail{Key: key, Label: label}
		if value != "" {
			d.Lines = []string{value}
		}
		return d
	}
	email := line("email_address", "Email address", cu.EmailAddress)
	if cu.EmailAddress != "" {
		email.Link = "mailto:" + cu.EmailAddress
	}
	phone := line("phone_number", "Phone number", cu.PhoneNumber)
	if dial := telDigits(cu.PhoneNumber); dial != "" {
		phone.Link = "tel:" + dial
	}
	note := line("note", "Note", cu.Note)
	note.Multiline = true
	v.Details = []views.ProfileDetail{
		line("given_name", "First name", cu.GivenName),
		line("family_name", "Last name", cu.FamilyName),
		line("nickname", "Nickname", cu.Nickname),
		line("company_name", "Company", cu.CompanyName),
		email,
		phone,
		{Key: "address", Label: "Address", Lines: addressLines(cu.Address)},
		line("birthday", "Birthday", formatBirthday(cu.Birthday)),
		line("reference_id", "Reference ID", cu.ReferenceID),
		note,
	}
	vat := ""
	if cu.TaxIDs != nil {
		vat = cu.TaxIDs.EUVat
	}
	if vat != "" || (info != nil && euVATCountries[info.Country]) {
		v.Details = append(v.Details, line("eu_vat", "EU VAT number", vat))
	}
	v.Details = append(v.Details, groupDetail(cu.GroupIDs, info))
	unsubscribed := views.ProfileDetail{Key: "email_unsubscribed", Label: "Unsubscribed from marketing email", Empty: "Not known"}
	if p := cu.Preferences; p != nil {
		unsubscribed.Lines = []string{profileYesNo(p.EmailUnsubscribed)}
	}
	v.Details = append(v.Details,
		line("creation_source", "Created through", profileSourceWords(cu.CreationSource)),
		line("created_at", "Created", customerTime(cu.CreatedAt.Time)),
		line("updated_at", "Last updated", customerTime(cu.UpdatedAt.Time)),
		unsubscribed,
	)
	return v
}

// groupDetail names the customer's groups. Without the merchant's group
// list (Square failed), it says how many there are.
func groupDetail(ids []string, info *merchantInfo) views.ProfileDetail {
	d := views.ProfileDetail{Key: "groups", Label: "Groups", Empty: "None"}
	if len(ids) == 0 {
		return d
	}
	if info == nil {
		d.Lines = []string{fmt.Sprintf("%d (names not available just now)", len(ids))}
		return d
	}
	for _, id := range ids {
		name := info.GroupName(id)
		if name == "" {
			name = "A group no longer listed"
		}
		d.Lines = append(d.Lines, name)
	}
	return d
}

// profileCards maps the cards on file, with their brand in words and, for
// each card still in use, the form that removes it.
func profileCards(customerID string, page *square.CardPage, csrf string, now time.Time) []views.ProfileCard {
	var out []views.ProfileCard
	for _, card := range page.Cards {
		pc := views.ProfileCard{
			ID:         card.ID,
			Brand:      cardBrand(card.CardBrand),
			Last4:      card.Last4,
			Expiry:     fmt.Sprintf("%02d/%04d", card.ExpMonth, card.ExpYear),
			Expired:    cardExpired(card.ExpMonth, card.ExpYear, now),
			Cardholder: card.CardholderName,
			Removed:    !card.Enabled,
		}
		if card.BillingAddress != nil {
			pc.PostalCode = card.BillingAddress.PostalCode
		}
		if !card.CreatedAt.IsZero() {
			pc.Added = card.CreatedAt.UTC().Format("2 Jan 2006")
		}
		if card.Enabled {
			pc.RemoveURL = cardPath(customerID, card.ID) + "/remove"
			pc.Remove = cardRemoveForm(customerID, &card, csrf)
		}
		out = append(out, pc)
	}
	return out
}

// cardExpired reports whether a card's expiry month has passed.
func cardExpired(month, year int64, now time.Time) bool {
	y, m := int64(now.Year()), int64(now.Month())
	return year < y || (year == y && month < m)
}

// cardBrands are Square's card brands in words.
var cardBrands = map[string]string{
	"VISA": "Visa", "MASTERCARD": "Mastercard", "AMERICAN_EXPRESS": "American Express",
	"DISCOVER": "Discover", "DISCOVER_DINERS": "Diners Club", "JCB": "JCB",
	"CHINA_UNIONPAY": "UnionPay", "SQUARE_GIFT_CARD": "Square Gift Card",
	"SQUARE_CAPITAL_CARD": "Square Capital card", "INTERAC": "Interac", "EFTPOS": "EFTPOS",
	"FELICA": "FeliCa", "EBT": "EBT", "OTHER_BRAND": "Card",
}

func cardBrand(b string) string {
	if s, ok := cardBrands[b]; ok {
		return s
	}
	return "Card"
}

// profileSources are Square's creation sources in words.
var profileSources = map[string]string{
	"OTHER":              "Other",
	"APPOINTMENTS":       "Square Appointments",
	"COUPON":             "A coupon",
	"DELETION_RECOVERY":  "Restored after being deleted",
	"DIRECTORY":          "Square's Customer Directory",
	"EGIFTING":           "An eGift card",
	"EMAIL_COLLECTION":   "Email collection",
	"FEEDBACK":           "Customer feedback",
	"IMPORT":             "An import",
	"INVOICES":           "Square Invoices",
	"LOYALTY":            "Square Loyalty",
	"MARKETING":          "Square Marketing",
	"MERGE":              "Merging two profiles",
	"ONLINE_STORE":       "Square Online",
	"INSTANT_PROFILE":    "A payment (instant profile)",
	"TERMINAL":           "Square Terminal",
	"THIRD_PARTY":        "An app connected to Square, such as Tessera",
	"THIRD_PARTY_IMPORT": "An import by an app connected to Square",
	"UNMERGE_RECOVERY":   "Restored after unmerging profiles",
}

// profileSourceWords says how a profile came to be; an unknown source is
// shown in words made from its code.
func profileSourceWords(s string) string {
	if w, ok := profileSources[s]; ok {
		return w
	}
	if s == "" {
		return ""
	}
	w := strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(w[:1]) + w[1:]
}

// formatBirthday writes Square's birthday for people: "17 May 1990", or
// "17 May" when there is no year. A value it cannot read is shown as is.
func formatBirthday(b string) string {
	if b == "" {
		return ""
	}
	y, m, d, ok := parseBirthday(b)
	if !ok {
		return b
	}
	s := strconv.Itoa(d) + " " + views.MonthName(m)
	if y != 0 {
		s += " " + strconv.Itoa(y)
	}
	return s
}

// addressLines is an address as a block: the street lines, the town with
// its region and postal code, and the country.
func addressLines(a *square.Address) []string {
	if a == nil {
		return nil
	}
	var lines []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	add(a.AddressLine1)
	add(a.AddressLine2)
	add(a.AddressLine3)
	add(addressJoin(", ", a.Sublocality, a.Sublocality2, a.Sublocality3))
	add(addressJoin(" ", addressJoin(", ", a.Locality, a.AdministrativeDistrictLevel2, a.AdministrativeDistrictLevel1), a.PostalCode))
	if a.Country != "" {
		add(views.CountryName(a.Country))
	}
	return lines
}

func addressJoin(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// telDigits is a phone number for a tel: link: its digits and a leading +.
func telDigits(phone string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func profileYesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// customerTime writes a time stamp for people, in UTC.
func customerTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}
