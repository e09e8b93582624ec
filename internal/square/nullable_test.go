package square

import (
	"encoding/json"
	"testing"
	"time"
)

type nullableDoc struct {
	Name  Nullable[string] `json:"name,omitzero"`
	Count Nullable[int]    `json:"count,omitzero"`
}

func TestNullableMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  nullableDoc
		want string
	}{
		{"an omitted field is left out", nullableDoc{}, `{}`},
		{"a set field carries its value", nullableDoc{Name: Set("Ada"), Count: Set(0)}, `{"name":"Ada","count":0}`},
		{"a cleared field is null", nullableDoc{Name: Clear[string](), Count: Clear[int]()}, `{"name":null,"count":null}`},
		{"SetOrClear clears a zero value", nullableDoc{Name: SetOrClear(""), Count: SetOrClear(3)}, `{"name":null,"count":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.doc)
			if err != nil {
				t.Fatalf("json.Marshal(%+v) error = %v", tt.doc, err)
			}
			if string(got) != tt.want {
				t.Errorf("json.Marshal(%+v) = %s, want %s", tt.doc, got, tt.want)
			}
		})
	}
}

func TestNullableWithoutOmitzeroRefusesToMarshalOmitted(t *testing.T) {
	t.Parallel()
	doc := struct {
		Name Nullable[string] `json:"name"`
	}{}
	if got, err := json.Marshal(doc); err == nil {
		t.Errorf("json.Marshal(omitted without omitzero) = %s, want an error rather than a silent null", got)
	}
}

func TestNullableUnmarshal(t *testing.T) {
	t.Parallel()
	var doc nullableDoc
	if err := json.Unmarshal([]byte(`{"name":null,"count":5}`), &doc); err != nil {
		t.Fatalf("json.Unmarshal() error = %v", err)
	}
	if !doc.Name.IsNull() {
		t.Errorf("Name.IsNull() = false, want true for null")
	}
	if v, ok := doc.Count.Get(); !ok || v != 5 {
		t.Errorf("Count.Get() = %d, %v, want 5, true", v, ok)
	}
	var empty nullableDoc
	if err := json.Unmarshal([]byte(`{}`), &empty); err != nil {
		t.Fatalf("json.Unmarshal() error = %v", err)
	}
	if !empty.Name.IsZero() || empty.Name.IsNull() {
		t.Errorf("absent Name = %+v, want omitted", empty.Name)
	}
	if err := json.Unmarshal([]byte(`{"count":"five"}`), &empty); err == nil {
		t.Errorf("json.Unmarshal(count five) error = nil, want a type error")
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"milliseconds are read", `"2016-03-23T20:21:54.859Z"`, time.Date(2016, 3, 23, 20, 21, 54, 859000000, time.UTC), false},
		{"whole seconds are read", `"2016-03-23T20:21:55Z"`, time.Date(2016, 3, 23, 20, 21, 55, 0, time.UTC), false},
		{"an offset is read", `"2016-03-23T22:21:55+02:00"`, time.Date(2016, 3, 23, 20, 21, 55, 0, time.UTC), false},
		{"an empty string is the zero time", `""`, time.Time{}, false},
		{"null is the zero time", `null`, time.Time{}, false},
		{"a date without a time is refused", `"2016-03-23"`, time.Time{}, true},
		{"a number is refused", `12`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ts Timestamp
			err := json.Unmarshal([]byte(tt.in), &ts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("json.Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !ts.Equal(tt.want) {
				t.Errorf("json.Unmarshal(%s) = %v, want %v", tt.in, ts.Time, tt.want)
			}
		})
	}
}
