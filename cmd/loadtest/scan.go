package main

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// The pages the load reads most (the customer form, with its country list,
// and directory pages) are scanned with the HTML tokenizer rather than
// parsed into a tree: the load's clients share the machine with the server
// they measure, and building a DOM of every form was a tenth of the CPU.

// attr is the value of a start tag's attribute, and whether it is there.
func attr(t html.Token, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// scanForm reads the form with the data-testid as a browser submits it:
// its action, and every named input, select and textarea with its value.
func scanForm(body []byte, testID string) (action string, values url.Values, err error) {
	z := html.NewTokenizer(bytes.NewReader(body))
	values = url.Values{}
	var (
		inForm, found bool
		// The select being read: its name, its first option's value and
		// its first selected option's value.
		selectName            string
		first, chosen         string
		haveFirst, haveChosen bool
		inOption              bool
		optionText            strings.Builder
		optionValue           string
		optionHasValue        bool
		optionSelected        bool
		textareaName          string
		textarea              strings.Builder
		inTextarea            bool
	)
	endOption := func() {
		if !inOption {
			return
		}
		inOption = false
		v := optionValue
		if !optionHasValue {
			v = strings.TrimSpace(optionText.String())
		}
		if !haveFirst {
			first, haveFirst = v, true
		}
		if optionSelected && !haveChosen {
			chosen, haveChosen = v, true
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if !found {
				return "", nil, errors.New("the page has no " + testID + " form")
			}
			return "", nil, errors.New("the " + testID + " form is not closed")
		case html.TextToken:
			switch {
			case inTextarea:
				textarea.Write(z.Text())
			case inOption:
				optionText.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			t, ok := formTag(z)
			if !ok {
				continue
			}
			if !inForm {
				if t.Data == "form" {
					if id, _ := attr(t, "data-testid"); id == testID {
						inForm, found = true, true
						action, _ = attr(t, "action")
					}
				}
				continue
			}
			switch t.Data {
			case "input":
				name, _ := attr(t, "name")
				typ, _ := attr(t, "type")
				_, checked := attr(t, "checked")
				if name == "" || typ == "submit" || typ == "button" || (typ == "checkbox" || typ == "radio") && !checked {
					continue
				}
				v, _ := attr(t, "value")
				values.Add(name, v)
			case "select":
				selectName, _ = attr(t, "name")
				haveFirst, haveChosen = false, false
			case "option":
				endOption()
				inOption = true
				optionText.Reset()
				optionValue, optionHasValue = attr(t, "value")
				_, optionSelected = attr(t, "selected")
			case "textarea":
				textareaName, _ = attr(t, "name")
				textarea.Reset()
				inTextarea = true
			}
		case html.EndTagToken:
			if !inForm {
				continue
			}
			name, _ := z.TagName()
			switch string(name) {
			case "option":
				endOption()
			case "select":
				endOption()
				if selectName != "" {
					if !haveChosen {
						chosen = first
					}
					values.Add(selectName, chosen)
				}
				selectName = ""
			case "textarea":
				inTextarea = false
				if textareaName != "" {
					values.Add(textareaName, strings.TrimPrefix(textarea.String(), "\n"))
				}
			case "form":
				return action, values, nil
			}
		}
	}
}

// formTag reads the start tag the tokenizer is at when it matters to a
// form (form, input, select, option or textarea), without building tokens
// for every other tag of the page.
func formTag(z *html.Tokenizer) (html.Token, bool) {
	name, hasAttr := z.TagName()
	var tag string
	switch string(name) {
	case "form", "input", "select", "option", "textarea":
		tag = string(name)
	default:
		return html.Token{}, false
	}
	return html.Token{Type: html.StartTagToken, Data: tag, Attr: readAttrs(z, hasAttr)}, true
}

// readAttrs reads the attributes of the tag the tokenizer is at.
func readAttrs(z *html.Tokenizer, hasAttr bool) []html.Attribute {
	var attrs []html.Attribute
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		attrs = append(attrs, html.Attribute{Key: string(k), Val: string(v)})
	}
	return attrs
}

// scanRows reads a directory page's rows (id and email) and its next-page
// link.
func scanRows(body []byte) (rows []customerRef, next string) {
	z := html.NewTokenizer(bytes.NewReader(body))
	var inEmail bool
	var email strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return rows, next
		case html.TextToken:
			if inEmail {
				email.Write(z.Text())
			}
		case html.StartTagToken:
			// Rows, cells and links carry what is read; other tags are
			// passed over without reading their attributes.
			name, hasAttr := z.TagName()
			switch string(name) {
			case "tr", "td", "a":
			default:
				continue
			}
			t := html.Token{Attr: readAttrs(z, hasAttr)}
			testID, _ := attr(t, "data-testid")
			switch testID {
			case "customer-row":
				if id, _ := attr(t, "data-customer-id"); id != "" {
					rows = append(rows, customerRef{ID: id})
				}
			case "cell-email":
				inEmail = true
				email.Reset()
			case "next-page":
				next, _ = attr(t, "href")
			}
		case html.EndTagToken:
			if inEmail {
				inEmail = false
				if len(rows) > 0 {
					rows[len(rows)-1].Email = strings.TrimSpace(email.String())
				}
			}
		}
	}
}
