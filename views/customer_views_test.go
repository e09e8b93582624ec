package views

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

func TestCustomerPagesShowHostileValuesAsText(t *testing.T) {
	t.Parallel()
	// Every kind of input, each holding hostile text.
	hostileField := func(name string) Field {
		return Field{Name: name, Label: hostileScript, Hint: hostileImg, Value: hostileImg, Error: hostileScript}
	}
	hostile := []HiddenInput{{Name: "orig_given_name", Value: hostileImg}, {Name: "orig_note", Value: hostileScript}}
	sections := []FormSection{
		{Inputs: []FormInput{
			{Field: hostileField("given_name"), Kind: InputText},
			{Field: hostileField("note"), Kind: InputTextarea},
			{Field: hostileField("birthday"), Kind: InputBirthday, Options: MonthOptions(hostileImg),
				Parts: []Field{hostileField("birthday_month"), hostileField("birthday_day"), hostileField("birthday_year")}},
		}},
		{Legend: hostileScript, TestID: "address", Inputs: []FormInput{
			{Field: hostileField("country"), Kind: InputSelect, Options: CountryOptions(hostileImg)},
		}},
	}
	row := CustomerConflictRow{Key: "note", PickName: "pick_note", Label: "Note", Mine: hostileScript, Square: hostileImg,
		MineInputs: []HiddenInput{{Name: "mine_note", Value: hostileScript}}}
	deleteForm := CustomerDeleteForm{Name: hostileScript, Action: "/customers/X/delete", Original: hostile, CancelURL: "/customers/X"}
	pages := map[string]templ.Component{
		"the profile": CustomerProfilePage(signedInLayout(), CustomerProfileView{
			ID: "X", Name: hostileScript, EditURL: "/customers/X/edit", DeleteURL: "/customers/X/delete",
			Details: []ProfileDetail{
				{Key: "email_address", Label: "Email", Lines: []string{hostileImg}, Link: hostileURL},
				{Key: "address", Label: "Address", Lines: []string{hostileScript, hostileImg}},
				{Key: "note", Label: "Note", Lines: []string{hostileScript}, Multiline: true},
			},
			Cards:  []ProfileCard{{ID: hostileImg, Brand: hostileScript, Last4: hostileImg, Expiry: "01/2030"}},
			Delete: deleteForm,
		}),
		"the form": CustomerFormPage(signedInLayout(), CustomerFormView{
			Heading: hostileScript, Action: "/customers", CancelURL: "/customers", CancelLabel: hostileImg,
			Original: hostile, Sections: sections,
			Summary: []FieldError{{FieldID: "field-given_name", Message: hostileScript}},
			Failure: &Failure{Title: hostileScript, Message: hostileImg},
		}),
		"the conflict page": CustomerConflictPage(signedInLayout(), CustomerConflictView{
			Name: hostileScript, Action: "/customers/X", CancelURL: "/customers/X", Current: hostile, Keep: hostile,
			Rows: []CustomerConflictRow{row},
		}),
		"the delete confirmation": CustomerDeletePage(signedInLayout(), CustomerDeleteView{Form: deleteForm}),
		"the delete conflict": CustomerDeleteConflictPage(signedInLayout(), CustomerDeleteConflictView{
			Form: deleteForm, Changes: []CustomerChange{{Key: "note", Label: hostileImg, Before: hostileScript, After: hostileImg}},
		}),
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			doc, html := render(t, page)
			assertNoInjectedElements(t, doc)
			if strings.Contains(html, "javascript:") {
				t.Error("the page holds a javascript: URL, want it sanitized")
			}
		})
	}
}

func TestTheCountrySelectKeepsACodeOutsideTheList(t *testing.T) {
	t.Parallel()
	opts := CountryOptions("ZZ")
	var selected []string
	for _, o := range opts {
		if o.Selected {
			selected = append(selected, o.Value)
		}
	}
	if len(selected) != 1 || selected[0] != "ZZ" {
		t.Errorf("CountryOptions(ZZ) selects %q, want only ZZ", selected)
	}
	if got := len(CountryOptions("")); got != 250 {
		t.Errorf("len(CountryOptions(\"\")) = %d, want 249 countries and Not given", got)
	}
}

func TestCountriesAreListedByName(t *testing.T) {
	t.Parallel()
	opts := CountryOptions("")[1:]
	if opts[0].Label != "Afghanistan" || opts[1].Label != "Åland Islands" || opts[len(opts)-1].Label != "Zimbabwe" {
		t.Errorf("countries start %q, %q and end %q, want Afghanistan, Åland Islands … Zimbabwe", opts[0].Label, opts[1].Label, opts[len(opts)-1].Label)
	}
}
