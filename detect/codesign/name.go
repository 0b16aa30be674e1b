package codesign

import (
	"crypto/x509/pkix"
	"fmt"
	"strings"
)

// attrNames are the short names printed for distinguished-name attributes.
// Beyond RFC 4514's list it names the attributes code-signing certificates
// carry (emailAddress, serialNumber and the EV jurisdiction fields), which
// pkix.Name.String would print as dotted OIDs and hex.
var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
	"0.9.2342.19200300.100.1.25": "DC",
}

// formatName writes a distinguished name in RFC 4514 order (most specific
// first, comma separated), e.g. "CN=Acme Games,O=Acme Games Ltd,C=KR".
func formatName(rdns pkix.RDNSequence) string {
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			name, ok := attrNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(escapeValue(fmt.Sprint(atv.Value)))
		}
	}
	return b.String()
}

// escapeValue applies RFC 4514 section 2.4 escaping so a hostile subject
// cannot forge extra attributes in the printed name.
func escapeValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ',' || r == '+' || r == '"' || r == '\\' || r == '<' || r == '>' || r == ';':
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r == ' ' || r == '#') && i == 0, r == ' ' && i == len(s)-1:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
