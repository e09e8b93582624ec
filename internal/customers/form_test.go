package customers

import (
	"encoding/json"
	"maps"
	"net/url"
	"testing"
	"time"
)

func TestValidateChecksOnlyWhatTheUserChangedOnAnEdit(t *testing.T) {
	// An old value Square once accepted must not block an unrelated edit.
	orig := Values{}
	for _, in := range InputNames(Fields(false)) {
		orig[in] = ""
	}
	orig[GivenName] = "Old"
	orig[PhoneNumber] = "12"
	orig[EmailAddress] = "not an email"
	f := Form{Orig: orig, Values: maps.Clone(orig), Fields: Fields(false)}
	f.Values[Note] = "new note"
	if errs := f.Validate(time.Now()); len(errs) != 0 {
		t.Errorf("Validate(untouched bad phone and email, changed note) = %v, want no errors", errs)
	}
	f.Values[PhoneNumber] = "123"
	if errs := f.Validate(time.Now()); errs[PhoneNumber] != msgPhone {
		t.Errorf("Validate(changed bad phone) = %v, want %q beside the phone", errs, msgPhone)
	}
}

func TestUpdateRequestSendsOnlyChangesAndClearsWhatWasEmptied(t *testing.T) {
	orig := Values{}
	for _, in := range InputNames(Fields(true)) {
		orig[in] = ""
	}
	orig[GivenName] = "Ada"
	orig[Note] = "note"
	orig[Locality] = "London"
	orig[BirthdayMonth], orig[BirthdayDay] = "12", "10"
	orig[EUVat] = "GB123"
	f := Form{Orig: orig, Values: maps.Clone(orig), Fields: Fields(true)}
	f.Values[Note] = ""
	f.Values[Locality] = "Paris"
	f.Values[BirthdayYear] = "1815"
	f.Values[EUVat] = ""

	req, changed := f.UpdateRequest(7)
	if !changed {
		t.Fatal("UpdateRequest(changes) changed = false, want true")
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("json.Marshal(UpdateRequest) = %v", err)
	}
	got := string(body)
	want := `{"address":{"locality":"Paris"},"note":null,"birthday":"1815-12-10","tax_ids":null,"version":7}`
	if got != want {
		t.Errorf("UpdateRequest body = %s, want %s", got, want)
	}

	if _, changed := (Form{Orig: orig, Values: maps.Clone(orig), Fields: Fields(true)}).UpdateRequest(7); changed {
		t.Error("UpdateRequest(no changes) changed = true, want false")
	}
}

func TestAConflictChoiceThatDidNotArriveKeepsSquaresValue(t *testing.T) {
	form := url.Values{
		"orig_given_name": {"Square's"}, "mine_given_name": {"Mine"},
		"orig_family_name": {"Kept"}, "family_name": {"Kept"},
		"orig_nickname": {"Theirs"}, "mine_nickname": {"Ours"}, "pick_nickname": {"mine"},
	}
	f := ReadForm(form, Fields(false), true)
	for in, want := range map[string]string{
		GivenName: "Square's", FamilyName: "Kept", Nickname: "Ours",
	} {
		if got := f.Values[in]; got != want {
			t.Errorf("ReadForm(conflict form) %s = %q, want %q", in, got, want)
		}
	}
}
