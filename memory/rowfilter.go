package memory

import (
	"math/bits"
	"net/netip"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// rowFilter is Filter.MatchRows for one segment at a time: which entries
// of the segment's dictionaries can match one of the filter's values, so
// that a scan builds events only for the rows that reference one (late
// materialisation). A pivot on a popular name used to decode every row of
// every segment that held the name anywhere.
//
// The test is looser than any matcher's, never stricter: a name, hash or
// other string value hits a dictionary entry that contains it, ignoring
// ASCII case, in any column where the matcher looks for observables; an
// address hits the same address; a CIDR prefix hits the addresses in it.
type rowFilter struct {
	keys     []string // non-address values, normalised (lower case)
	probes   []probe  // address and prefix values
	addr     []bool   // per address entry of the current segment
	addrAny  bool
	strs     [len(strFields)][]bool
	strMask  uint64 // string columns with a hitting entry in this segment
	lists    [len(listFields)][]bool
	listMask uint64

	// With a matcher's EntryTest instead of values: the tester and the
	// one-observable event it is handed.
	test    EntryTest
	scratch event.Event
	one     [1]string
}

// unobserved are the columns no matcher looks at: identifiers and
// context, not observables. An entry test skips them (the uid column
// alone has an entry per flow).
var unobserved = map[string]bool{"sensor": true, "uid": true, "community_id": true,
	"cert_issuer": true, "app": true, "result": true, "alpn": true}

func newEntryFilter(t EntryTest) *rowFilter {
	return &rowFilter{test: t}
}

// rowTested says which string columns the row test looks at: those with
// statistics, plus the certificate subject (the matcher reads its CN) and
// the URI (a URL can be rebuilt from Host and URI, or the URI can be a
// whole URL).
func rowTested(name string, mode bloomMode) bool {
	return mode != bloomNone || name == "cert_subject" || name == "uri"
}

func newRowFilter(probes []probe) *rowFilter {
	if len(probes) == 0 {
		return nil
	}
	f := &rowFilter{}
	for _, p := range probes {
		if p.addr.IsValid() || p.prefixOnly {
			f.probes = append(f.probes, p)
		} else if p.key != "" {
			f.keys = append(f.keys, p.key)
		}
	}
	return f
}

// prepare works out which entries of s's dictionaries hit, and says
// whether any does: when none does, no row of s can match.
func (f *rowFilter) prepare(s *segment) bool {
	if f.test != nil {
		return f.prepareEntries(s)
	}
	f.addrAny = false
	if len(f.probes) > 0 {
		f.addr = resize(f.addr, s.addrs.len())
		for i := range s.addrs.len() {
			h := false
			a := s.addrs.entry(i).Unmap()
			for j := range f.probes {
				p := &f.probes[j]
				if p.prefixOnly && p.prefix.Contains(a) || !p.prefixOnly && p.addr == a {
					h = true
					break
				}
			}
			f.addr[i] = h
			f.addrAny = f.addrAny || h
		}
	}
	f.strMask, f.listMask = 0, 0
	if len(f.keys) > 0 {
		for j := range strFields {
			if rowTested(strFields[j].name, strFields[j].bloom) && f.mark(&f.strs[j], &s.strs[j]) {
				f.strMask |= 1 << j
			}
		}
		for j := range listFields {
			if rowTested(listFields[j].name, listFields[j].bloom) && f.mark(&f.lists[j], &s.lists[j]) {
				f.listMask |= 1 << j
			}
		}
	}
	return f.addrAny || f.strMask != 0 || f.listMask != 0
}

// prepareEntries is prepare with the entry test: every entry of every
// observable column is put alone into the scratch event and tested.
func (f *rowFilter) prepareEntries(s *segment) bool {
	e := &f.scratch
	e.Reset()
	e.Kind = event.KindGeneric
	f.addrAny = false
	f.addr = resize(f.addr, s.addrs.len())
	at, fast := f.test.(AddrTest)
	for i := range s.addrs.len() {
		a := s.addrs.entry(i)
		if fast {
			f.addr[i] = at.CouldAddr(a)
		} else {
			e.DstIP = a
			f.addr[i] = f.test.Could(e)
		}
		f.addrAny = f.addrAny || f.addr[i]
	}
	e.DstIP = netip.Addr{}
	f.strMask, f.listMask = 0, 0
	for j := range strFields {
		if unobserved[strFields[j].name] {
			continue
		}
		p := strFields[j].get(e)
		if f.markEach(&f.strs[j], &s.strs[j], func(v string) { *p = v }) {
			f.strMask |= 1 << j
		}
		*p = ""
	}
	for j := range listFields {
		if unobserved[listFields[j].name] {
			continue
		}
		p := listFields[j].get(e)
		if f.markEach(&f.lists[j], &s.lists[j], func(v string) { f.one[0] = v; *p = f.one[:] }) {
			f.listMask |= 1 << j
		}
		*p = nil
	}
	return f.addrAny || f.strMask != 0 || f.listMask != 0
}

// markEach sets each entry of d into the scratch event with set and
// marks those the entry test accepts.
func (f *rowFilter) markEach(hits *[]bool, d *dictStr, set func(string)) bool {
	*hits = resize(*hits, d.len())
	any := false
	for i := range d.len() {
		v := d.entry(i)
		set(v)
		h := v != "" && f.test.Could(&f.scratch)
		(*hits)[i] = h
		any = any || h
	}
	return any
}

func (f *rowFilter) mark(hits *[]bool, d *dictStr) bool {
	*hits = resize(*hits, d.len())
	any := false
	for i := range d.len() {
		v := d.entry(i)
		h := false
		for _, k := range f.keys {
			if containsFold(v, k) {
				h = true
				break
			}
		}
		(*hits)[i] = h
		any = any || h
	}
	return any
}

// hit says whether row r references a hitting entry.
func (f *rowFilter) hit(r *rowIDs) bool {
	if f.addrAny {
		if r.src >= 0 && f.addr[r.src] || r.dst >= 0 && f.addr[r.dst] {
			return true
		}
		for _, a := range r.ans {
			if a >= 0 && f.addr[a] {
				return true
			}
		}
	}
	for m := r.mask & f.strMask; m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		if id := r.strs[j]; id >= 0 && f.strs[j][id] {
			return true
		}
	}
	if lm := r.mask >> len(strFields) & (1<<len(listFields) - 1); lm != 0 {
		k := 0
		for m := lm; m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m)
			ids := r.lists[k : k+r.listN[j]]
			k += r.listN[j]
			if f.listMask&(1<<j) == 0 {
				continue
			}
			for _, id := range ids {
				if id >= 0 && f.lists[j][id] {
					return true
				}
			}
		}
	}
	return false
}

func resize(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	return b[:n]
}

// containsFold reports whether s contains k (lower case) ignoring ASCII
// case, without allocating.
func containsFold(s, k string) bool {
	n := len(k)
	if len(s) < n || n == 0 {
		return n == 0
	}
	if strings.Contains(s, k) {
		return true
	}
	upper := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return false
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != k[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
