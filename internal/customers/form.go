package customers

import (
	"net/url"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// OriginalPrefix starts the names of the hidden inputs that carry the
// values an edit form showed, so that a save can tell what the person
// changed and send Square only that.
const OriginalPrefix = "orig_"

// The inputs of the edit conflict page: for a field in conflict, pick_<key>
// says whose value to keep ("mine" or "square"), and mine_<input> carries
// the person's value.
const (
	PickPrefix = "pick_"
	MinePrefix = "mine_"
	PickMine   = "mine"
	PickSquare = "square"
)

// Form is a posted customer form.
type Form struct {
	// Values are what the person typed, normalised.
	Values Values
	// Orig are the values the edit form showed; nil on the create form.
	Orig Values
	// Fields are the fields the form has, in order.
	Fields []Field
}

// ReadForm reads a posted customer form with the given fields (see Fields).
// On the edit form (edit true) it reads the originals too. On the conflict
// page a field in conflict arrives as a choice between the person's value
// and Square's, which is then the original.
func ReadForm(form url.Values, fs []Field, edit bool) Form {
	f := Form{Values: make(Values, len(fields)+2), Fields: fs}
	if edit {
		f.Orig = make(Values, len(fields)+2)
	}
	for _, field := range fs {
		for _, in := range field.Inputs() {
			f.Values[in] = Normalize(in, form.Get(in))
			if edit {
				f.Orig[in] = Normalize(in, form.Get(OriginalPrefix+in))
			}
		}
	}
	for _, field := range fs {
		if !form.Has(MinePrefix + field.Inputs()[0]) {
			continue
		}
		// A field in conflict keeps Square's value unless the person
		// picked theirs: a choice that did not arrive must not empty it.
		mine := form.Get(PickPrefix+field.Key) == PickMine
		for _, in := range field.Inputs() {
			if mine {
				f.Values[in] = Normalize(in, form.Get(MinePrefix+in))
			} else {
				f.Values[in] = f.Orig[in]
			}
		}
	}
	return f
}

// Changed are the fields whose values differ from the originals; on the
// create form, every field with a value.
func (f Form) Changed() []Field {
	var out []Field
	for _, field := range f.Fields {
		if !field.Equal(f.Values, f.Orig) {
			out = append(out, field)
		}
	}
	return out
}

// CreateRequest is the CreateCustomer body of a valid create form, with
// the idempotency key the form was minted with.
func (f Form) CreateRequest(key string) *square.CreateCustomerRequest {
	req := &square.CreateCustomerRequest{IdempotencyKey: key}
	for _, field := range f.Fields {
		if v := field.SquareValue(f.Values); v != "" {
			field.set(req, v)
		}
	}
	return req
}

// UpdateRequest is the sparse UpdateCustomer body of a valid edit form:
// only the changed fields, an emptied one as null, and the version the
// form showed, which Square checks. It reports whether anything changed.
func (f Form) UpdateRequest(version int64) (*square.UpdateCustomerRequest, bool) {
	r := &updateRequest{UpdateCustomerRequest: &square.UpdateCustomerRequest{Version: &version}}
	changed := false
	for _, field := range f.Fields {
		// Compared as Square holds them, so that a birthday typed as "07"
		// where it was "7" is no change.
		if v := field.SquareValue(f.Values); v != field.SquareValue(f.Orig) {
			field.update(r, square.SetOrClear(v))
			changed = true
		}
	}
	if r.addr != nil {
		// Square merges an address update line by line, so the lines this
		// form does not show (line 3, sublocality) stay as they are.
		r.Address = square.Set(*r.addr)
	}
	return r.UpdateCustomerRequest, changed
}
