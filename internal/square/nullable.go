package square

import (
	"bytes"
	"encoding/json"
	"errors"
)

// nullState says which of its three states a Nullable is in.
type nullState uint8

const (
	stateOmitted nullState = iota
	stateSet
	stateNull
)

// Nullable is a field of a sparse update: left alone (the zero value, omitted
// from the JSON), set to a value, or cleared (sent as JSON null). A pointer
// cannot tell "leave alone" from "clear", which is why this type exists.
//
// A struct field of this type must carry the omitzero JSON option so that the
// zero value is left out; marshalling an omitted Nullable any other way fails
// rather than clear the field by accident.
type Nullable[T any] struct {
	value T
	state nullState
}

// Set returns a Nullable that changes the field to v.
func Set[T any](v T) Nullable[T] {
	return Nullable[T]{value: v, state: stateSet}
}

// Clear returns a Nullable that clears the field.
func Clear[T any]() Nullable[T] {
	return Nullable[T]{state: stateNull}
}

// SetOrClear returns Set(v), or Clear when v is the zero value. It suits
// edit forms, where an emptied input means "remove this".
func SetOrClear[T comparable](v T) Nullable[T] {
	var zero T
	if v == zero {
		return Clear[T]()
	}
	return Set(v)
}

// IsZero reports whether n leaves the field alone; encoding/json's omitzero
// option calls it to leave the field out.
func (n Nullable[T]) IsZero() bool {
	return n.state == stateOmitted
}

// IsNull reports whether n clears the field.
func (n Nullable[T]) IsNull() bool {
	return n.state == stateNull
}

// Get returns the value and whether n sets one.
func (n Nullable[T]) Get() (T, bool) {
	return n.value, n.state == stateSet
}

// MarshalJSON writes the value, or null when n clears the field.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	switch n.state {
	case stateSet:
		return json.Marshal(n.value)
	case stateNull:
		return []byte("null"), nil
	default:
		return nil, errors.New("square: an omitted Nullable must be left out with the omitzero JSON option")
	}
}

// UnmarshalJSON reads null as Clear and anything else as Set; a field absent
// from the document stays omitted.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*n = Clear[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = Set(v)
	return nil
}
