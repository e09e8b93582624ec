package index

import (
	"context"
	"database/sql"
	"fmt"
)

// MinPhoneDigits is the fewest digits a phone number needs for Likely to
// match by it: fewer match too much by chance.
const MinPhoneDigits = 7

// Contact is what Likely matches customers by.
type Contact struct {
	Email, Phone string
}

const likelyQuery = "SELECT " + customerCols + ` FROM index_customers c
	WHERE merchant_id = ? AND (sort_email = ? OR sort_phone = ?) ORDER BY rowid LIMIT ?`

// Likely returns, for each contact, up to limit of the merchant's
// customers that are likely the same person: the same email (case and
// accents aside, as the directory sorts it), or the same digits of the
// phone number (formatting aside). An import asks it of every row of a
// file; each contact is one look-up in the indexes the directory sorts by,
// through one prepared statement.
func (x *Index) Likely(ctx context.Context, merchantID string, contacts []Contact, limit int) ([][]Customer, error) {
	out := make([][]Customer, len(contacts))
	var stmt *sql.Stmt
	for i, c := range contacts {
		// A key that no stored value has stands for "no email" or "no
		// phone": the stored empty value is emptyLast, which must not
		// match.
		const none = "\x00"
		e, p := fold(c.Email), digits(c.Phone)
		if e == "" {
			e = none
		}
		if len(p) < MinPhoneDigits {
			p = none
		}
		if e == none && p == none {
			continue
		}
		if stmt == nil {
			var err error
			if stmt, err = x.reader.PrepareContext(ctx, likelyQuery); err != nil {
				return nil, fmt.Errorf("index: likely: %w", err)
			}
			defer stmt.Close()
		}
		found, err := likely(ctx, stmt, merchantID, e, p, limit)
		if err != nil {
			return nil, err
		}
		out[i] = found
	}
	return out, nil
}

func likely(ctx context.Context, stmt *sql.Stmt, merchantID, email, phone string, limit int) ([]Customer, error) {
	rows, err := stmt.QueryContext(ctx, merchantID, email, phone, limit)
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
