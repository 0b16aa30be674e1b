package codesign

import (
	"crypto/x509"
	"strings"
	"unicode"
)

// legalSuffixes are company-form words that differ between a certificate's
// O= and a file's CompanyName for the same publisher ("Acme Games Ltd." vs
// "Acme Games Co., Ltd."), so they are dropped before comparing.
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "ltd": true, "limited": true, "llc": true, "co": true,
	"corp": true, "corporation": true, "company": true, "gmbh": true, "ag": true, "sa": true,
	"srl": true, "bv": true, "nv": true, "plc": true, "pty": true, "kk": true, "oy": true,
	"ab": true, "as": true, "sas": true, "spa": true, "the": true,
}

// publisherWords lowercases s, splits it on anything that is not a letter
// or digit and drops legal-form words.
func publisherWords(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := f[:0]
	for _, w := range f {
		if !legalSuffixes[w] {
			out = append(out, w)
		}
	}
	return out
}

// containsRun reports whether needle occurs as consecutive words in hay.
func containsRun(hay, needle []string) bool {
	if len(needle) == 0 || len(needle) > len(hay) {
		return false
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		ok := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// publisherFits reports whether the version-info CompanyName plausibly
// names the same publisher as the signer's O= or CN=: after dropping case,
// punctuation and legal forms, one must contain the other as whole words.
// Stolen certificates from game studios signing a "Microsoft Corporation"
// binary are what this catches; renamed subsidiaries are what it misses.
func publisherFits(companyName string, c *x509.Certificate) bool {
	company := publisherWords(companyName)
	if len(company) == 0 {
		return true // nothing to compare against
	}
	names := append([]string{c.Subject.CommonName}, c.Subject.Organization...)
	for _, n := range names {
		w := publisherWords(n)
		if containsRun(w, company) || containsRun(company, w) {
			return true
		}
	}
	return false
}

// signsForOthers reports whether the signer is one of Microsoft's Windows
// publishing identities ("Microsoft Windows", "Microsoft Windows Hardware
// Compatibility Publisher", ...), which sign inbox and WHQL drivers whose
// CompanyName is the hardware vendor's, with an all-Microsoft chain. Those
// files are not publisher mismatches. Without a trust store this rests on
// names alone, so a forged Microsoft chain also passes this check; it is
// still caught as self-signed or, against a real trust store, untrusted.
func signsForOthers(leaf *x509.Certificate, chain []*x509.Certificate) bool {
	isMS := func(c *x509.Certificate) bool {
		return len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == "Microsoft Corporation"
	}
	if !isMS(leaf) || !strings.HasPrefix(leaf.Subject.CommonName, "Microsoft Windows") || len(chain) == 0 {
		return false
	}
	for _, c := range chain {
		if !isMS(c) {
			return false
		}
	}
	return true
}
