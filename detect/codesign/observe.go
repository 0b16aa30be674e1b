package codesign

import "github.com/umbra-cti/umbra/intel/indicator"

// Observable is one value from a scan that intel can be matched against:
// a serial or thumbprint of a signer or chain certificate, normalised the
// way the indicator store spells it. It is the bridge from a scan to the
// matcher, so stolen certificates imported as STIX or MISP indicators are
// found without going through a StolenSet.
type Observable struct {
	Type  indicator.Type
	Value string
	// Role is "signer" for a signing certificate (primary or nested) and
	// "chain" for an issuer above one.
	Role string
	// Subject of the certificate the value belongs to, for the alert.
	Subject string
}

// Observables lists the certificate serials and SHA-1/SHA-256 thumbprints
// of every signer and chain certificate in r, each certificate once.
func (r Result) Observables() []Observable {
	var out []Observable
	seen := map[string]bool{}
	add := func(c Certificate, role string) {
		if c.SHA256 == "" || seen[c.SHA256] {
			return
		}
		seen[c.SHA256] = true
		for _, v := range []struct {
			t indicator.Type
			v string
		}{{indicator.CertSerial, c.Serial}, {indicator.CertSHA1, c.SHA1}, {indicator.CertSHA256, c.SHA256}} {
			// A negative or oversized serial has no canonical spelling;
			// it still shows in the result, it just cannot be matched.
			if n, err := indicator.Normalize(v.t, v.v); err == nil {
				out = append(out, Observable{Type: v.t, Value: n, Role: role, Subject: c.Subject})
			}
		}
	}
	for _, s := range r.Signers {
		add(s.Certificate, "signer")
		for _, c := range s.Chain {
			add(c, "chain")
		}
	}
	return out
}
