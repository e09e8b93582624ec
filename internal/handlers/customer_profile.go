package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/locale"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// The profile: GET /customers/:id.

// customerProfile shows one customer with its cards on file. The customer
// and the cards are fetched at once, with the merchant's group names
// (cached, so usually no call): a warm profile costs Square two calls
// running side by side. ?removed=1 lists the removed (disabled) cards too.
func (a *app) customerProfile(c echo.Context) error {
	return a.showProfile(c, http.StatusOK, "", "")
}

// showProfile renders the profile with status; groupProblem and typed are
// a refused group change and the new group name typed for it.
func (a *app) showProfile(c echo.Context, status int, groupProblem, typed string) error {
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
		return a.customerReadError(c, id, errCu)
	}
	// The customer is what the page is for; without the group names or
	// the cards it is still worth showing, with a word about what is
	// missing.
	if errInfo != nil {
		info = nil
		a.logger.WarnContext(ctx, "merchant info for a profile failed", slog.Any("err", errInfo))
	}
	v := profileView(id, cu, info)
	v.Delete.CSRFToken = csrfToken(c)
	v.Groups = profileGroupsView(id, cu, info, csrfToken(c))
	v.Groups.Error, v.Groups.New.Value = groupProblem, typed
	if groupProblem != "" && typed != "" {
		v.Groups.New.Error = groupProblem
	}
	v.AddCardURL = cardsPath(id) + "/new"
	v.ShowRemoved = showRemoved
	v.RemovedToggleURL = customerPath(id) + "?removed=1#cards"
	if showRemoved {
		v.RemovedToggleURL = customerPath(id) + "#cards"
	}
	if errCard != nil {
		a.logger.WarnContext(ctx, "listing cards failed", slog.Any("err", errCard))
		v.CardsError = "Square did not list the cards on file just now. Reload the page to try again."
	} else {
		v.Cards, v.CardsMore = profileCards(id, cards, csrfToken(c), a.now()), cards.Cursor != ""
	}
	v.History = a.profileHistory(c, id)
	return render(c, status, views.CustomerProfilePage(a.layout(c, v.Name, views.NavCustomers), v))
}

// profileView maps a customer to the profile. info, the merchant's
// country and groups, may be nil when Square did not give it.
func profileView(id string, cu *square.Customer, info *merchantInfo) views.CustomerProfileView {
	v := views.CustomerProfileView{
		ID: id, Name: customers.DisplayName(cu),
		EditURL:   customerPath(id) + "/edit",
		DeleteURL: customerPath(id) + "/delete",
		Delete:    deleteForm(id, cu),
	}
	// The EU VAT number shows for sellers who can keep one, and wherever a
	// customer has one.
	fs := customers.Fields(true)
	inEU := info != nil && customers.EUVATCountry(info.Country)
	for _, f := range fs {
		switch {
		case f.Section == customers.AddressSection:
			// The address is one block, with the lines the form does not
			// edit (line 3, sublocality) too.
			if f.Key == customers.AddressLine1 {
				v.Details = append(v.Details, views.ProfileDetail{Key: "address", Label: "Address", Lines: addressLines(cu.Address)})
			}
		case f.EUOnly && !inEU && f.Of(cu) == "":
		default:
			v.Details = append(v.Details, profileDetail(f, f.Of(cu)))
		}
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

// line is a profile row of one line, or none for an empty value.
func line(key, label, value string) views.ProfileDetail {
	d := views.ProfileDetail{Key: key, Label: label}
	if value != "" {
		d.Lines = []string{value}
	}
	return d
}

// profileDetail is the profile's row of one field: an email address and a
// phone number are links, a note keeps its line breaks.
func profileDetail(f customers.Field, value string) views.ProfileDetail {
	d := line(f.Key, f.Label, f.Format(value))
	switch f.Kind {
	case customers.Email:
		if value != "" {
			d.Link = "mailto:" + value
		}
	case customers.Phone:
		if dial := textutil.PhoneDigits(value); dial != "" && dial != "+" {
			d.Link = "tel:" + dial
		}
	case customers.LongText:
		d.Multiline = true
	}
	return d
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
		add(locale.CountryName(a.Country))
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
