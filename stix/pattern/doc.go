// Package pattern parses and evaluates STIX 2.1 patterns, the detection
// language of STIX indicators ("[file:hashes.MD5 = '…'] FOLLOWEDBY
// [network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24'] WITHIN 60 SECONDS").
//
// # Design
//
// Parse is a hand-written lexer and recursive-descent parser for the OASIS
// grammar (STIXPattern.g4). The lexer follows the ANTLR one's
// longest-match rules, so errors point where the reference tools point
// (an *Error carries the byte offset). Validate adds the checks of the
// OASIS pattern validator; Match implements the semantics of the OASIS
// matcher, stix2-matcher:
//
//   - A [ ] observation expression binds to one observed-data SDO; within it
//     every comparison of an AND must hold for the same root object, and
//     references (*_ref, *_refs) are followed among the SDO's objects.
//   - Each observed-data counts number_observed times. AND, OR and
//     FOLLOWEDBY combine bindings of distinct sightings; FOLLOWEDBY also
//     needs the left side's latest first_observed no later than the right
//     side's earliest last_observed. REPEATS n needs n disjoint bindings,
//     WITHIN checks that one window of that length touches every bound
//     interval, START/STOP that each overlaps [start, stop).
//   - Types compare as in stix2-matcher: ints and floats with each other,
//     strings with binary (*_hex, *_bin) values byte by byte when every
//     character is below U+0100, JSON strings read as timestamps against
//     t'…' literals (an unreadable one is an error); other pairs are
//     unequal and unordered. LIKE and MATCHES normalise to NFC.
//
// Bindings are enumerated lazily in the reference's order, with its
// pruning for REPEATS plus two of our own (a WITHIN over REPEATS prunes
// combinations that already exceed the window; nested REPEATS fold into
// one count), checked against a set-based model of the semantics. Every
// call is bounded by MaxSteps and fails with ErrTooComplex beyond it.
//
// The package is tested against the OASIS suites (all 64 pattern-validator
// v21 cases, with error positions, and all 415 stix2-matcher v21 cases)
// under ../shared/data/stix2-patterns.
//
// # Use
//
//	p, err := pattern.Parse(indicator.Pattern) // *pattern.Error has the offset
//	if eq, ok := p.SimpleEquality(); ok { /* index eq.ObjectType, eq.Path, eq.Value */ }
//	obs, err := pattern.ReadObservations(f)    // or FromObjects(bundleObjects)
//	ok, err := p.Match(obs)                    // Matches gives the bound observed-data
//
// Equalities covers ORs of equalities, ObjectTypes and Comparisons tell
// which objects a complex pattern can touch, and Validate applies the
// OASIS validator's extra rules (`umbra pattern check`).
//
// # Deliberate differences from the reference tools
//
//   - MATCHES uses Go's RE2 syntax, not PCRE/Python: no look-around or
//     back-references (such a pattern reports an error from Err and
//     Match), and \d, \w, \s are ASCII-only. \Z, \uXXXX and a $ that should
//     also match before a final newline are translated.
//   - ISSUBSET and ISSUPERSET accept IPv6 as well as IPv4, take a bare
//     address as a host prefix (/32, /128) on either side, allow /0, and
//     use strict address syntax (no "1.2.3" or octal forms).
//   - EXISTS is evaluated (stix2-matcher silently treats NOT EXISTS as
//     EXISTS).
//   - Timestamps keep nanoseconds; Python keeps microseconds.
//   - A *_ref that names an object outside the observed-data's
//     object_refs is still followed when it is in the same bundle.
//   - START/STOP also accept the STIX 2.0 form with plain strings, as
//     stix2-matcher's own tests still use it.
//   - IN compares booleans only with booleans (Python's True == 1 does not
//     leak into sets).
//   - Problems in the pattern itself that the reference finds only while
//     matching (a bad regex, a set mixing types, WITHIN 0 SECONDS, a
//     timestamp such as February 30, which the grammar allows) are found
//     by Parse and reported by Err and every Match.
//   - Matches reports every observation of the first binding; the
//     reference omits an observation bound only through its second or
//     later sighting.
package pattern
