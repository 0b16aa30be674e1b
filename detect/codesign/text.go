package codesign

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes r the way `umbra pe scan` shows it to a person: the
// path and verdicts on one line, then the digest, the signers with their
// chains, stolen-certificate matches and problems, indented.
func (r Result) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	vs := make([]string, len(r.Verdicts))
	for i, v := range r.Verdicts {
		vs[i] = string(v)
	}
	fmt.Fprintf(bw, "%s  %s\n", r.Path, strings.Join(vs, ","))
	switch r.Verdict {
	case Skipped:
		fmt.Fprintf(bw, "    %s\n", r.SkipReason)
		return bw.Flush()
	case Failed:
		fmt.Fprintf(bw, "    error: %s\n", r.Error)
		return bw.Flush()
	}
	match := "no signature"
	if len(r.Signers) > 0 {
		match = "does NOT match the signed digest"
		if r.DigestMatches {
			match = "matches"
		}
	}
	fmt.Fprintf(bw, "    digest %s %s  %s\n", r.DigestAlgorithm, r.Digest, match)
	if r.CompanyName != "" {
		fmt.Fprintf(bw, "    company name %q\n", r.CompanyName)
	}
	for _, s := range r.Signers {
		kind := "signer"
		if s.Nested {
			kind = "nested signer"
		}
		fmt.Fprintf(bw, "    %s %s\n", kind, s.Subject)
		fmt.Fprintf(bw, "        issuer %s\n", s.Issuer)
		fmt.Fprintf(bw, "        serial %s  sha1 %s\n", s.Serial, s.SHA1)
		fmt.Fprintf(bw, "        valid %s to %s\n", day(s.NotBefore), day(s.NotAfter))
		if s.SigningTime != nil {
			fmt.Fprintf(bw, "        signed at %s (timestamp)\n", s.SigningTime.Format(time.RFC3339))
		}
		for _, c := range s.Chain {
			fmt.Fprintf(bw, "        chain %s  serial %s\n", c.Subject, c.Serial)
		}
		for _, m := range s.Stolen {
			fmt.Fprintf(bw, "        STOLEN: %s %s listed by %s\n", m.Kind, m.Value, m.Source)
		}
		for _, p := range s.Problems {
			fmt.Fprintf(bw, "        ! %s\n", p)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(bw, "    ! %s\n", p)
	}
	return bw.Flush()
}

func day(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02")
}
