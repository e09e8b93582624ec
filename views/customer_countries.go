package views

import "github.com/tessera-dashboard/tessera/internal/locale"

// CountryOptions are the choices of the country select with selected
// chosen: first "Not given", then every country by name. A selected code
// outside the list (Square's ZZ) is offered too, so it is kept.
func CountryOptions(selected string) []CustomerOption {
	opts := make([]CustomerOption, 0, len(locale.CountriesByName())+2)
	opts = append(opts, CustomerOption{Value: "", Label: "Not given", Selected: selected == ""})
	if !locale.KnownCountry(selected) && selected != "" {
		opts = append(opts, CustomerOption{Value: selected, Label: locale.CountryName(selected), Selected: true})
	}
	for _, code := range locale.CountriesByName() {
		opts = append(opts, CustomerOption{Value: code, Label: locale.CountryName(code), Selected: code == selected})
	}
	return opts
}

// MonthOptions are the choices of the birthday's month select, valued
// "01" to "12", with "Not given" first.
func MonthOptions(selected string) []CustomerOption {
	opts := []CustomerOption{{Value: "", Label: "Not given", Selected: selected == ""}}
	for i := range 12 {
		name := locale.MonthName(i + 1)
		v := twoDigits(i + 1)
		opts = append(opts, CustomerOption{Value: v, Label: name, Selected: v == selected})
	}
	return opts
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}
