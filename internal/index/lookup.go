package index

import (
	"context"
	"fmt"
)

// MinPhoneDigits is the fewest digits a phone number needs for Likely to
// match by it: fewer match too much by chance.
const MinPhoneDigits = 7

// Likely returns up to limit of the merchant's customers that are likely
// the same person as one with this email or phone: the same email (case and
// accents aside, as the directory sorts it), or the same digits of the
// phone number (formatting aside). An import asks it of every row; each
// question is one look-up in the indexes the directory sorts by.
func (x *Index) Likely(ctx context.Context, merchantID, email, phone string, limit int) ([]Customer, error) {
	// A key that no stored value has stands for "no email" or "no phone":
	// the stored empty value is emptyLast, which must not match.
	const none = "\x00"
	e, p := fold(email), digits(phone)
	if e == "" {
		e = none
	}
	if len(p) < MinPhoneDigits {
		p = none
	}
	if e == none && p == none {
		return nil, nil
	}
	rows, err := x.reader.QueryContext(ctx, "SELECT "+customerCols+` FROM index_customers c
		WHERE merchant_id = ? AND (sort_email = ? OR sort_phone = ?) ORDER BY rowid LIMIT ?`, merchantID, e, p, limit)
	if err != nil {
		return nil, fmt.Errorf("index: likely: %w", err)
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		c, _, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("index: likely: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
