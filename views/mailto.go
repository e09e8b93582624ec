package views

import "strings"

// mailtoURL is the mailto: link that writes to address and to nothing else.
// A mailto: URL carries mail headers after a "?" (RFC 6068), and Square
// accepts an address such as "ops?cc=spy@evil.example&body=…", so pasting
// the address in would let a customer's record add recipients or text to a
// message staff send. Every character of the address that is not plain
// (letters, digits, "-._~" and, in the local part, "!$'*+") is
// percent-encoded, so the link's target is exactly the address shown.
func mailtoURL(address string) string {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return "mailto:" + escapeMailto(address, "")
	}
	return "mailto:" + escapeMailto(address[:at], "!$'*+") + "@" + escapeMailto(address[at+1:], "")
}

// profileLinkURL is the href of a profile value's link: a "mailto:" link
// holds the raw address, which is encoded here, where the URL is made.
func profileLinkURL(link string) string {
	if address, ok := strings.CutPrefix(link, "mailto:"); ok {
		return mailtoURL(address)
	}
	return link
}

// escapeMailto percent-encodes every byte of s but RFC 3986's unreserved
// characters and those in keep.
func escapeMailto(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~", c) >= 0 || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
