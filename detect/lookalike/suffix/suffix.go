// Package suffix finds the public suffix of a host name as
// golang.org/x/net/publicsuffix does, from the same rules, but with one
// hash lookup per label instead of a binary search of a packed table per
// label and an IP-address parse: the look-alike detector splits every
// observed name, and publicsuffix.PublicSuffix was a third of its cost
// (BenchmarkOf). gen.go copies the rules from the x/net version go.mod
// requires; TestMatchesXNet keeps the two in step.
package suffix

import (
	_ "embed"
	"strings"

	"golang.org/x/net/publicsuffix"
)

//go:embed rules.txt
var rulesText string

// Flags of a node of the rule tree, keyed by the node's whole name.
const (
	rule      uint8 = 1 << iota // the name is a public suffix rule
	exception                   // "!name": not a suffix, although a wildcard covers it
	wildcard                    // "*.name": every child is a public suffix
)

var nodes = build(rulesText)

func build(text string) map[string]uint8 {
	m := make(map[string]uint8, 16384)
	for _, r := range strings.Split(text, "\n") {
		if r == "" || r[0] == '#' {
			continue
		}
		flag := rule
		switch {
		case strings.HasPrefix(r, "!"):
			r, flag = r[1:], exception
		case strings.HasPrefix(r, "*."):
			r, flag = r[2:], wildcard
		}
		m[r] |= flag
		// Every tail of a rule is a node the walk passes through.
		for i := strings.IndexByte(r, '.'); i >= 0; i = strings.IndexByte(r, '.') {
			r = r[i+1:]
			m[r] |= 0
		}
	}
	return m
}

// Of returns the public suffix of name, exactly as the first result of
// publicsuffix.PublicSuffix: "co.uk" for "www.example.co.uk", the last
// label when no rule applies. name should be lower-case, without a
// trailing dot.
func Of(name string) string {
	if n := len(name); n == 0 || name[n-1] >= '0' && name[n-1] <= '9' || strings.IndexByte(name, ':') >= 0 {
		// Possibly an IP address, which publicsuffix answers whole.
		s, _ := publicsuffix.PublicSuffix(name)
		return s
	}
	// Walk the labels from the right, as publicsuffix does over its
	// tree: tail is name[dot+1:], the labels consumed so far.
	start := len(name) // where the suffix starts; len(name) is "no rule matched"
	end := len(name)   // name[:end] is still to walk
	wild := false
	for {
		dot := strings.LastIndexByte(name[:end], '.')
		if wild {
			start = dot + 1
		}
		f, ok := nodes[name[dot+1:]]
		if !ok {
			break
		}
		if f&exception != 0 {
			start = end + 1
			break
		}
		if f&rule != 0 {
			start = dot + 1
		}
		wild = f&wildcard != 0
		if dot < 0 {
			break
		}
		end = dot
	}
	if start >= len(name) {
		return name[strings.LastIndexByte(name, '.')+1:]
	}
	return name[start:]
}
