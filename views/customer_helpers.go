package views

// birthdayErrors are the birthday's inputs that have a message, in order.
func birthdayErrors(in FormInput) []Field {
	var out []Field
	for _, f := range in.Parts {
		if f.Error != "" {
			out = append(out, f)
		}
	}
	return out
}

// birthdayDescribedBy lists the hint and the error of one birthday input.
func birthdayDescribedBy(f Field) string {
	ids := "birthday-hint"
	if f.Error != "" {
		ids += " " + fieldID(f) + "-error"
	}
	return ids
}

// cardTestID names a card's list item for tests.
func cardTestID(c ProfileCard) string {
	if c.Expired {
		return "card-expired"
	}
	return "card"
}

// orEmpty shows an empty value on the conflict pages.
func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// pickID is the id of one radio of a conflict row.
func pickID(key, choice string) string {
	return "pick-" + key + "-" + choice
}

// mineChoiceLabel names the user's side of a conflict: what they typed, or
// for a field they left alone, what it was when they opened the form.
func mineChoiceLabel(r CustomerConflictRow) string {
	if r.YouChanged {
		return "Your version"
	}
	return "As it was when you opened the form"
}
