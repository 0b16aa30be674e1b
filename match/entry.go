package match

import (
	"net/netip"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// Partial tests single observables against a snapshot, for a store that
// keeps each distinct value once (the network memory's dictionaries): it
// answers whether an event holding at least the given observables could
// match, so that a retro-hunt tests each stored value once and builds and
// matches only the rows that hold an accepted one.
//
// Every lookup the matcher does reads one field, except a URL rebuilt from
// an HTTP request's Host and URI: a Host is therefore accepted when it is
// the host of a URL indicator, and the row's URI decides in the full match.
// A Partial is not safe for concurrent use; take one per goroutine.
type Partial struct {
	s        *Snapshot
	hits     []Hit
	urlHosts map[string]struct{} // hosts (with any non-default port) of http URL indicators
}

// Partial returns a tester of single observables against s.
func (s *Snapshot) Partial() *Partial {
	return &Partial{s: s}
}

// Could reports whether an event holding at least e's observables could
// match the snapshot. It accepts every event that matches.
func (p *Partial) Could(e *event.Event) bool {
	p.hits = p.s.MatchAppend(p.hits[:0], e)
	if len(p.hits) > 0 {
		return true
	}
	if e.Host == "" || e.URL != "" || len(p.s.urls) == 0 {
		return false
	}
	if p.urlHosts == nil {
		p.urlHosts = make(map[string]struct{})
		for u := range p.s.urls {
			if h, ok := strings.CutPrefix(u, "http://"); ok {
				if i := strings.IndexAny(h, "/?"); i >= 0 {
					h = h[:i]
				}
				p.urlHosts[h] = struct{}{}
			}
		}
	}
	_, ok := p.urlHosts[strings.ToLower(hostOnlyHTTP(e.Host))]
	return ok
}

// CouldAddr is Could for an event holding only the address a, without the
// walk over the other fields.
func (p *Partial) CouldAddr(a netip.Addr) bool {
	k := sink{dst: p.hits[:0]}
	p.s.matchAddr(&k, a, "")
	p.hits = k.dst
	return len(k.dst) > 0
}
