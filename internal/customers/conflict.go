package customers

// Change is one field that differs between two versions of a customer.
type Change struct {
	Field Field
	// Before and After are the field's values, formatted for reading.
	Before, After string
}

// Changes are the fields of fs on which before and after differ, in order:
// what someone else changed since a person looked.
func Changes(fs []Field, before, after Values) []Change {
	var out []Change
	for _, f := range fs {
		if !f.Equal(before, after) {
			out = append(out, Change{Field: f, Before: f.Display(before), After: f.Display(after)})
		}
	}
	return out
}

// Conflict is an edit that met a newer version at Square: per field,
// whether the person and Square agree, and where they do not, whose value
// to keep.
type Conflict struct {
	// Keep are the inputs on which the person and Square agree, to be sent
	// as they are.
	Keep Values
	Rows []ConflictRow
}

// ConflictRow is one field in conflict.
type ConflictRow struct {
	Field Field
	// Mine and Square are the two values formatted for reading.
	Mine, Square string
	// MineInputs are the inputs of the person's value.
	MineInputs Values
	// YouChanged says the person changed this field on the form. Their
	// value is preselected only then, so that Square's newer value is kept
	// unless the person chooses otherwise: nothing the other person saved
	// is replaced by accident.
	YouChanged bool
}

// Conflict compares, field by field, what the person typed with what
// Square holds now (current). An empty Rows means Square already holds
// everything the person typed: their earlier save went through after all.
func (f Form) Conflict(current Values) Conflict {
	c := Conflict{Keep: Values{}}
	for _, field := range f.Fields {
		if field.Equal(f.Values, current) {
			for _, in := range field.Inputs() {
				c.Keep[in] = f.Values[in]
			}
			continue
		}
		mine := Values{}
		for _, in := range field.Inputs() {
			mine[in] = f.Values[in]
		}
		c.Rows = append(c.Rows, ConflictRow{
			Field: field, Mine: field.Display(f.Values), Square: field.Display(current),
			MineInputs: mine, YouChanged: !field.Equal(f.Values, f.Orig),
		})
	}
	return c
}
