package indicator

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Record is one indicator as an importer read it: the normalised value
// plus whatever context the feed gave, and where in the input it was.
// Format readers (intel/csv, intel/plain, intel/maltrail, intel/zeekintel,
// intel/openioc) produce Records; ToSTIX turns one into a STIX indicator.
type Record struct {
	Type        Type
	Value       string // normalised with Normalize
	Description string
	// References are URLs or citations of the reports that name the value.
	References []string
	// Source names the feed, vendor or list the record came from; it is
	// part of the STIX id, so one value from two sources is two indicators.
	Source string
	Tags   []string
	// File and Line locate the record in its input (Line is 1-based).
	File string
	Line int
}

// LineError is one rejected input row: where it was and why.
type LineError struct {
	File string
	Line int
	// Reason is a short class used to group rejections in a Summary,
	// e.g. "bad domain" or "unknown type word".
	Reason string
	Err    error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// MaxSummaryErrors bounds Summary.Errors so that a garbage input of a
// million lines does not hold a million errors; Rejected still counts all.
const MaxSummaryErrors = 1000

// Summary tells what an import did with its input.
type Summary struct {
	Imported   int          // records handed to the caller
	Duplicates int          // records whose type and value were already imported from this input
	Rejected   int          // rows that were not valid indicators
	ByType     map[Type]int // imported records per type
	Reasons    map[string]int
	// Errors holds the first MaxSummaryErrors rejections, in input order.
	Errors        []*LineError
	ErrorsDropped int
}

// String renders the counts on one line for logs and the CLI.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imported %d, duplicates %d, rejected %d", s.Imported, s.Duplicates, s.Rejected)
	if len(s.Reasons) > 0 {
		keys := make([]string, 0, len(s.Reasons))
		for k := range s.Reasons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: %d", k, s.Reasons[k])
		}
		b.WriteString(")")
	}
	return b.String()
}

// Collector is the bookkeeping every format reader shares: it drops
// duplicate values, counts per type, records rejections, and hands good
// records to Emit. Use NewCollector.
type Collector struct {
	File string
	// Emit receives each first occurrence of a (type, value); an error
	// from it stops the reader.
	Emit func(Record) error
	// OnReject, if set, sees every rejection as it happens (the Summary
	// keeps only the first MaxSummaryErrors).
	OnReject func(*LineError)

	seen map[seenKey]struct{}
	sum  Summary
}

type seenKey struct {
	t Type
	v string
}

// NewCollector returns a Collector for input file that sends records to emit.
func NewCollector(file string, emit func(Record) error, onReject func(*LineError)) *Collector {
	return &Collector{File: file, Emit: emit, OnReject: onReject, seen: make(map[seenKey]struct{}),
		sum: Summary{ByType: make(map[Type]int), Reasons: make(map[string]int)}}
}

// Add passes r on unless its type and value were already seen. It fills
// r.File and r.Line (from line) when empty.
func (c *Collector) Add(r Record, line int) error {
	// One map operation instead of a lookup and an insert: the map only
	// grows when the key is new.
	n := len(c.seen)
	c.seen[seenKey{r.Type, r.Value}] = struct{}{}
	if len(c.seen) == n {
		c.sum.Duplicates++
		return nil
	}
	if r.File == "" {
		r.File = c.File
	}
	if r.Line == 0 {
		r.Line = line
	}
	c.sum.Imported++
	c.sum.ByType[r.Type]++
	if c.Emit == nil {
		return nil
	}
	return c.Emit(r)
}

// Reject records a bad row. reason classifies it; when err is a
// *ValueError and reason is "", the class is "bad <type>" (or "not an
// indicator" when no type could be told).
func (c *Collector) Reject(line int, reason string, err error) {
	if reason == "" {
		var ve *ValueError
		switch {
		case errors.As(err, &ve) && ve.Type == Unknown:
			reason = "not an indicator"
		case ve != nil:
			reason = "bad " + ve.Type.String()
		default:
			reason = "rejected"
		}
	}
	le := &LineError{File: c.File, Line: line, Reason: reason, Err: err}
	c.sum.Rejected++
	c.sum.Reasons[reason]++
	if len(c.sum.Errors) < MaxSummaryErrors {
		c.sum.Errors = append(c.sum.Errors, le)
	} else {
		c.sum.ErrorsDropped++
	}
	if c.OnReject != nil {
		c.OnReject(le)
	}
}

// Summary returns the counts so far.
func (c *Collector) Summary() Summary { return c.sum }
