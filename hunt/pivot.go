package hunt

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Pivots answer an analyst's next questions about one value over the whole
// stored history: who talked to it, what resolved to it, when it was first
// and last seen, and what a host did around a moment. Each is one Scan of
// the memory that skips the segments whose statistics (time range, address
// range, kinds, bloom filter) rule the value out, and matches events with a
// one-value snapshot, so a pivot agrees with what `umbra match` would flag.

// Range bounds a pivot in time; a zero Since or Until leaves that side open.
type Range struct{ Since, Until time.Time }

// maxObserved bounds the distinct observed spellings a result lists (the
// subdomains under a domain, the addresses under a CIDR).
const maxObserved = 20

// maxClients bounds the hosts a Resolution lists.
const maxClients = 50

// pivotWorkers is how many segments a pivot decodes at once.
const pivotWorkers = 2

// Contact is one host (or, for cloud sign-ins, one account) that talked to
// the pivot value.
type Contact struct {
	// Host is our side of the conversation: the client of a DNS query,
	// HTTP request or TLS session, the internal end of a file transfer,
	// or the target of a connection the value opened (Inbound). Invalid
	// (and printed as "") for sign-ins, which name the User instead.
	Host    netip.Addr `json:"host"`
	User    string     `json:"user,omitempty"`
	Inbound bool       `json:"inbound,omitempty"` // the value connected to Host
	First   time.Time  `json:"first"`
	Last    time.Time  `json:"last"`
	Events  int64      `json:"events"`
	// Where lists the event fields that held the value (dns.query,
	// conn.id.resp_h, ssl.sni, ...), sorted.
	Where []string `json:"where"`
	// Observed lists the value as the events spelled it (subdomains of a
	// domain, addresses inside a CIDR), sorted, at most 20.
	Observed []string `json:"observed"`
}

// Resolution is one name whose DNS answers held the pivot address.
type Resolution struct {
	Domain  string    `json:"domain"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Lookups int64     `json:"lookups"`
	// Clients are the hosts that asked, sorted, at most 50; ClientCount
	// counts them all.
	Clients     []netip.Addr `json:"clients"`
	ClientCount int          `json:"client_count"`
}

// FirstLast says when a value first and last appeared in the stored
// telemetry, and in how many events. First and Last are zero (null in
// JSON) when it never did.
type FirstLast struct {
	Value  string           `json:"value"` // as normalised for matching
	Type   string           `json:"type"`  // indicator type: domain, ipv4, md5, ...
	First  time.Time        `json:"first"`
	Last   time.Time        `json:"last"`
	Events int64            `json:"events"`
	Where  map[string]int64 `json:"where"` // events per field that held it
}

// MarshalJSON writes never-seen times as null rather than year 1.
func (f FirstLast) MarshalJSON() ([]byte, error) {
	type plain FirstLast
	out := struct {
		plain
		First *time.Time `json:"first"`
		Last  *time.Time `json:"last"`
	}{plain: plain(f)}
	if f.Where == nil {
		out.Where = map[string]int64{}
	}
	if !f.First.IsZero() {
		out.First, out.Last = &f.First, &f.Last
	}
	return json.Marshal(out)
}

// Activity is one event of a host, as Around lists it.
type Activity struct {
	Time     time.Time  `json:"time"`
	Kind     string     `json:"kind"` // conn, dns, http, ssl, files, signin, ...
	Sensor   string     `json:"sensor,omitempty"`
	UID      string     `json:"uid,omitempty"`
	Proto    string     `json:"proto,omitempty"`
	Outbound bool       `json:"outbound"` // the host was the source
	Src      netip.Addr `json:"src"`
	SrcPort  uint16     `json:"src_port,omitempty"`
	Dst      netip.Addr `json:"dst"`
	DstPort  uint16     `json:"dst_port,omitempty"`
	// Summary is one line for a table: the query and answers, the TLS
	// server name, the HTTP request, the file.
	Summary    string       `json:"summary"`
	Domain     string       `json:"domain,omitempty"`
	Answers    []netip.Addr `json:"answers,omitempty"`
	Host       string       `json:"http_host,omitempty"`
	URL        string       `json:"url,omitempty"`
	SNI        string       `json:"sni,omitempty"`
	JA3        string       `json:"ja3,omitempty"`
	CertSHA256 string       `json:"cert_sha256,omitempty"`
	MD5        string       `json:"md5,omitempty"`
	SHA256     string       `json:"sha256,omitempty"`
	FileName   string       `json:"file_name,omitempty"`
	User       string       `json:"user,omitempty"`
	OrigBytes  uint64       `json:"orig_bytes,omitempty"`
	RespBytes  uint64       `json:"resp_bytes,omitempty"`
}

// query is a pivot value compiled for a scan: the one-value snapshot that
// finds it in events, and the values that let the memory skip segments.
type query struct {
	typ   indicator.Type
	value string
	snap  *match.Snapshot
	// skip feeds memory.Filter.Values; nil when the value's type has no
	// segment statistics to test against (a user-agent, a cookie).
	skip []string
}

// ErrBadValue wraps the reason a pivot value cannot be searched for.
var ErrBadValue = errors.New("bad pivot value")

// compileValue works out what kind of observable v is (refanging it, or
// taking an explicit "type:" prefix such as "user-agent:Mozilla/4.0") and
// builds its query. A bare hex digest is also looked for where other
// observables of the same length live: 32 hex digits as MD5, JA3 and JA3S;
// 40 as SHA-1 and certificate SHA-1; 64 as SHA-256 and certificate
// SHA-256, because the same digest names a file in one feed and a
// certificate in another.
func compileValue(v string) (*query, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadValue)
	}
	var typ indicator.Type
	var norm string
	var err error
	if i := strings.IndexByte(v, ':'); i > 0 {
		if t := indicator.ParseType(strings.ToLower(v[:i])); t != indicator.Unknown {
			typ = t
			norm, err = indicator.Normalize(t, v[i+1:])
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadValue, err)
			}
		}
	}
	if typ == indicator.Unknown {
		typ, norm, err = indicator.Detect(v)
		if err != nil {
			// A bare host name under a suffix Detect does not know
			// (corp.internal, c2.example) is still a name to look for.
			if n, nerr := indicator.Normalize(indicator.Domain, indicator.Refang(v)); nerr == nil && strings.IndexByte(n, '.') > 0 {
				typ, norm, err = indicator.Domain, n, nil
			} else {
				return nil, fmt.Errorf("%w: %v", ErrBadValue, err)
			}
		}
	}
	types := []indicator.Type{typ}
	switch typ {
	case indicator.MD5:
		types = append(types, indicator.JA3, indicator.JA3S)
	case indicator.SHA1:
		types = append(types, indicator.CertSHA1)
	case indicator.SHA256:
		types = append(types, indicator.CertSHA256)
	}
	inds := make([]indicator.Indicator, len(types))
	for i, t := range types {
		inds[i] = indicator.Indicator{Type: t, Value: norm, Subdomains: t == indicator.Domain}
	}
	snap, rejects := match.Build(inds, nil)
	if len(rejects) == len(inds) {
		return nil, fmt.Errorf("%w: %s %q: %s", ErrBadValue, typ, norm, rejects[0].Reason)
	}
	q := &query{typ: typ, value: norm, snap: snap}
	switch typ {
	case indicator.IPv4, indicator.IPv6, indicator.CIDR, indicator.Domain, indicator.Email,
		indicator.MD5, indicator.SHA1, indicator.SHA256, indicator.CertSHA1, indicator.CertSHA256,
		indicator.JA3, indicator.JA3S, indicator.JA4, indicator.FileName:
		q.skip = []string{norm}
	case indicator.URL:
		// Segments index the URL's host (with its parent domains), which
		// every HTTP event of the URL carries whatever its spelling.
		if u, err := url.Parse(norm); err == nil && u.Hostname() != "" {
			q.skip = []string{u.Hostname()}
		}
	}
	return q, nil
}

type statsKey struct{}

// WithScanStats returns a context under which the pivots add what their
// scans read and skipped to *st, for a command that reports it.
func WithScanStats(ctx context.Context, st *memory.ScanStats) context.Context {
	return context.WithValue(ctx, statsKey{}, st)
}

// scan runs mem.ScanWorkers and reports its statistics to the context's
// WithScanStats, if any.
func scan(ctx context.Context, mem *memory.Store, f memory.Filter, fn func(int, *event.Event) error) error {
	ss, err := mem.ScanWorkers(ctx, f, fn)
	if st, ok := ctx.Value(statsKey{}).(*memory.ScanStats); ok && st != nil {
		st.Segments += ss.Segments
		st.SkippedTime += ss.SkippedTime
		st.SkippedValues += ss.SkippedValues
		st.SkippedKinds += ss.SkippedKinds
		st.Events += ss.Events
		st.Decoded += ss.Decoded
		st.Bytes += ss.Bytes
		st.Problems = append(st.Problems, ss.Problems...)
	}
	return err
}

func filterOf(r Range, values []string) memory.Filter {
	// MatchRows: only the rows whose dictionary entries can hold the
	// value are built into events and matched.
	f := memory.Filter{From: r.Since, Values: values, Workers: pivotWorkers, MatchRows: true}
	if !r.Until.IsZero() {
		f.To = r.Until
	}
	return f
}

// observedSet collects up to maxObserved distinct spellings.
type observedSet map[string]struct{}

func (o observedSet) add(h *match.Hit) {
	if len(o) >= maxObserved {
		return
	}
	var s string
	if h.Addr.IsValid() {
		s = h.Addr.String()
	} else {
		s = strings.ToLower(h.Observed)
	}
	if _, ok := o[s]; !ok {
		o[strings.Clone(s)] = struct{}{}
	}
}

func (o observedSet) sorted() []string {
	out := make([]string, 0, len(o))
	for s := range o {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// span is a first/last/count triple.
type span struct {
	first, last int64
	n           int64
}

func (s *span) add(ns int64) {
	if s.n == 0 || ns < s.first {
		s.first = ns
	}
	if s.n == 0 || ns > s.last {
		s.last = ns
	}
	s.n++
}

func (s *span) merge(o span) {
	if o.n == 0 {
		return
	}
	if s.n == 0 || o.first < s.first {
		s.first = o.first
	}
	if s.n == 0 || o.last > s.last {
		s.last = o.last
	}
	s.n += o.n
}

func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

type contactKey struct {
	host    netip.Addr
	user    string
	inbound bool
}

type contactAgg struct {
	span
	where    map[string]struct{}
	observed observedSet
}

// TalkedTo returns every host that talked to value: an IP address or CIDR
// prefix (either end of a connection, the other end being the host), a
// domain with its subdomains (DNS queries, HTTP hosts, TLS server names,
// certificate names), a URL, a file hash, a certificate fingerprint or
// serial, a JA3/JA3S/JA4, an e-mail address, a file name; or "type:value"
// for the types that cannot be told from the text (user-agent:, cookie:).
// A DNS answer holding the address is not talking to it: see ResolvedTo.
// Contacts are ordered by first contact.
func TalkedTo(ctx context.Context, mem *memory.Store, value string, r Range) ([]Contact, error) {
	q, err := compileValue(value)
	if err != nil {
		return nil, err
	}
	type state struct {
		hits []match.Hit
		aggs map[contactKey]*contactAgg
	}
	states := make([]state, pivotWorkers)
	for i := range states {
		states[i].aggs = map[contactKey]*contactAgg{}
	}
	err = scan(ctx, mem, filterOf(r, q.skip), func(w int, ev *event.Event) error {
		st := &states[w]
		st.hits = q.snap.MatchAppend(st.hits[:0], ev)
		if len(st.hits) == 0 {
			return nil
		}
		var agg *contactAgg
		ns := ev.Time.UnixNano()
		for i := range st.hits {
			h := &st.hits[i]
			if strings.HasSuffix(h.Where, ".answers") {
				continue
			}
			k, ok := contactOf(ev, h)
			if !ok {
				continue
			}
			a := st.aggs[k]
			if a == nil {
				a = &contactAgg{where: map[string]struct{}{}, observed: observedSet{}}
				st.aggs[k] = a
			}
			if a != agg {
				// One event counts once per contact, however many of its
				// fields held the value.
				a.add(ns)
				agg = a
			}
			a.where[h.Where] = struct{}{}
			a.observed.add(h)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all := map[contactKey]*contactAgg{}
	for _, st := range states {
		for k, a := range st.aggs {
			m := all[k]
			if m == nil {
				all[k] = a
				continue
			}
			m.merge(a.span)
			for w := range a.where {
				m.where[w] = struct{}{}
			}
			for o := range a.observed {
				if len(m.observed) < maxObserved {
					m.observed[o] = struct{}{}
				}
			}
		}
	}
	out := make([]Contact, 0, len(all))
	for k, a := range all {
		c := Contact{Host: k.host, User: k.user, Inbound: k.inbound, First: timeOf(a.first), Last: timeOf(a.last),
			Events: a.n, Observed: a.observed.sorted()}
		for w := range a.where {
			c.Where = append(c.Where, w)
		}
		slices.Sort(c.Where)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Contact) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		if c := a.Host.Compare(b.Host); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	return out, nil
}

// contactOf says whose contact a hit is: the far end of a connection the
// value opened, the receiver of a file, the client of everything else, or
// the account of a sign-in.
func contactOf(ev *event.Event, h *match.Hit) (contactKey, bool) {
	var k contactKey
	switch {
	case ev.Kind == event.KindFile:
		// Zeek 6 orients files.log like the connection (id.orig_h is the
		// client), older Zeek by transfer (tx_hosts is the sender), and
		// the event cannot tell which: a file names no direction, so the
		// host is the end that is not the value, else the internal end.
		switch {
		case h.Addr.IsValid() && h.Addr == ev.SrcIP:
			k.host = ev.DstIP
		case h.Addr.IsValid():
			k.host = ev.SrcIP
		case ev.DstIP.IsPrivate() && !ev.SrcIP.IsPrivate():
			k.host = ev.DstIP
		default:
			k.host = ev.SrcIP
		}
	case strings.HasSuffix(h.Where, ".id.orig_h") || strings.HasSuffix(h.Where, ".src_ip"):
		k.host, k.inbound = ev.DstIP, true
	default:
		k.host = ev.SrcIP
	}
	if !k.host.IsValid() {
		if ev.User == "" {
			return k, false // an x509 record: no host to name
		}
		k.user, k.inbound = ev.User, false
	}
	return k, true
}

type resAgg struct {
	span
	clients map[netip.Addr]struct{}
}

// ResolvedTo returns every name whose DNS answers held ip, with when and
// how often it was looked up and by which hosts, ordered by first lookup.
func ResolvedTo(ctx context.Context, mem *memory.Store, ip netip.Addr, r Range) ([]Resolution, error) {
	if !ip.IsValid() {
		return nil, fmt.Errorf("%w: no address", ErrBadValue)
	}
	ip = ip.Unmap().WithZone("")
	f := filterOf(r, []string{ip.String()})
	f.Kinds = memory.KindBit(event.KindDNS)
	aggs := make([]map[string]*resAgg, pivotWorkers)
	for i := range aggs {
		aggs[i] = map[string]*resAgg{}
	}
	err := scan(ctx, mem, f, func(w int, ev *event.Event) error {
		if ev.Domain == "" || len(ev.Answers) == 0 {
			return nil
		}
		found := false
		for _, a := range ev.Answers {
			if a.Unmap() == ip {
				found = true
				break
			}
		}
		if !found {
			return nil
		}
		name := strings.TrimSuffix(ev.Domain, ".")
		a := aggs[w][name]
		if a == nil {
			name = strings.ToLower(strings.Clone(name))
			if a = aggs[w][name]; a == nil {
				a = &resAgg{clients: map[netip.Addr]struct{}{}}
				aggs[w][name] = a
			}
		}
		a.add(ev.Time.UnixNano())
		if ev.SrcIP.IsValid() {
			a.clients[ev.SrcIP] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all := map[string]*resAgg{}
	for _, m := range aggs {
		for name, a := range m {
			name = strings.ToLower(name)
			t := all[name]
			if t == nil {
				all[name] = a
				continue
			}
			t.merge(a.span)
			for c := range a.clients {
				t.clients[c] = struct{}{}
			}
		}
	}
	out := make([]Resolution, 0, len(all))
	for name, a := range all {
		res := Resolution{Domain: name, First: timeOf(a.first), Last: timeOf(a.last), Lookups: a.n, ClientCount: len(a.clients),
			Clients: make([]netip.Addr, 0, len(a.clients))}
		for c := range a.clients {
			res.Clients = append(res.Clients, c)
		}
		slices.SortFunc(res.Clients, netip.Addr.Compare)
		if len(res.Clients) > maxClients {
			res.Clients = res.Clients[:maxClients]
		}
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b Resolution) int {
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		return strings.Compare(a.Domain, b.Domain)
	})
	return out, nil
}

// Seen returns when value first and last appeared in the stored telemetry
// and in how many events, per field; value is read as TalkedTo reads it,
// and here DNS answers count too.
func Seen(ctx context.Context, mem *memory.Store, value string) (FirstLast, error) {
	return SeenRange(ctx, mem, value, Range{})
}

// SeenRange is Seen within r.
func SeenRange(ctx context.Context, mem *memory.Store, value string, r Range) (FirstLast, error) {
	q, err := compileValue(value)
	if err != nil {
		return FirstLast{}, err
	}
	type state struct {
		hits  []match.Hit
		span  span
		where map[string]int64
	}
	states := make([]state, pivotWorkers)
	for i := range states {
		states[i].where = map[string]int64{}
	}
	err = scan(ctx, mem, filterOf(r, q.skip), func(w int, ev *event.Event) error {
		st := &states[w]
		st.hits = q.snap.MatchAppend(st.hits[:0], ev)
		if len(st.hits) == 0 {
			return nil
		}
		st.span.add(ev.Time.UnixNano())
		prev := ""
		for i := range st.hits {
			// Count an event once per field, though a DNS answer list
			// may hold the address twice.
			if wh := st.hits[i].Where; wh != prev {
				st.where[wh]++
				prev = wh
			}
		}
		return nil
	})
	if err != nil {
		return FirstLast{}, err
	}
	fl := FirstLast{Value: q.value, Type: q.typ.String(), Where: map[string]int64{}}
	var total span
	for _, st := range states {
		total.merge(st.span)
		for k, n := range st.where {
			fl.Where[k] += n
		}
	}
	if total.n > 0 {
		fl.First, fl.Last, fl.Events = timeOf(total.first), timeOf(total.last), total.n
	}
	return fl, nil
}

// DefaultAroundLimit is the number of events Around returns when asked for
// no limit.
const DefaultAroundLimit = 1000

// Around returns what host did within window either side of at: every
// event with host at either end, in time order. When there are more than
// limit (<= 0 means DefaultAroundLimit), the limit events nearest to at are
// kept.
func Around(ctx context.Context, mem *memory.Store, host netip.Addr, at time.Time, window time.Duration, limit int) ([]Activity, error) {
	if !host.IsValid() {
		return nil, fmt.Errorf("%w: no host address", ErrBadValue)
	}
	if window < 0 {
		return nil, fmt.Errorf("%w: negative window %s", ErrBadValue, window)
	}
	if limit <= 0 {
		limit = DefaultAroundLimit
	}
	host = host.Unmap().WithZone("")
	f := memory.Filter{From: at.Add(-window), To: at.Add(window + 1), Values: []string{host.String()}, Workers: pivotWorkers, MatchRows: true}
	atNS := at.UnixNano()
	// Each worker keeps its limit nearest events; the merge keeps the
	// limit nearest of those.
	type near struct {
		dist int64
		ev   event.Event
	}
	kept := make([][]near, pivotWorkers)
	worst := make([]int64, pivotWorkers) // distance of the limit-th nearest after a trim
	for i := range worst {
		worst[i] = math.MaxInt64
	}
	err := scan(ctx, mem, f, func(w int, ev *event.Event) error {
		if ev.SrcIP.Unmap() != host && ev.DstIP.Unmap() != host {
			return nil
		}
		d := ev.Time.UnixNano() - atNS
		if d < 0 {
			d = -d
		}
		k := kept[w]
		if len(k) >= 2*limit {
			// Trim to the limit nearest now and then, not every event.
			slices.SortFunc(k, func(a, b near) int { return cmp.Compare(a.dist, b.dist) })
			k = k[:limit]
			worst[w] = k[limit-1].dist
		}
		if len(k) >= limit && d > worst[w] {
			kept[w] = k
			return nil
		}
		kept[w] = append(k, near{dist: d, ev: ev.Clone()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []near
	for _, k := range kept {
		all = append(all, k...)
	}
	slices.SortStableFunc(all, func(a, b near) int { return cmp.Compare(a.dist, b.dist) })
	if len(all) > limit {
		all = all[:limit]
	}
	out := make([]Activity, len(all))
	for i := range all {
		out[i] = activityOf(&all[i].ev, host)
	}
	slices.SortStableFunc(out, func(a, b Activity) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.UID, b.UID)
	})
	return out, nil
}

func protoName(p uint8) string {
	switch p {
	case 0:
		return ""
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmp6"
	}
	return fmt.Sprint(p)
}

func activityOf(ev *event.Event, host netip.Addr) Activity {
	a := Activity{
		Time: ev.Time.UTC(), Kind: ev.Kind.String(), Sensor: ev.Sensor, UID: ev.UID, Proto: protoName(ev.Proto),
		Outbound: ev.SrcIP.Unmap() == host,
		Src:      ev.SrcIP, SrcPort: ev.SrcPort, Dst: ev.DstIP, DstPort: ev.DstPort,
		Domain: ev.Domain, Host: ev.Host, URL: ev.URL, SNI: ev.SNI, JA3: ev.JA3, CertSHA256: ev.CertSHA256,
		MD5: ev.MD5, SHA256: ev.SHA256, FileName: ev.FileName, User: ev.User, OrigBytes: ev.OrigBytes, RespBytes: ev.RespBytes,
	}
	if len(ev.Answers) > 0 {
		a.Answers = slices.Clone(ev.Answers)
	}
	a.Summary = summaryOf(ev)
	return a
}

// summaryOf is one line saying what an event was.
func summaryOf(ev *event.Event) string {
	var b strings.Builder
	switch {
	case ev.Domain != "":
		b.WriteString(ev.Domain)
		if len(ev.Answers) > 0 {
			b.WriteString(" ->")
			for _, a := range ev.Answers {
				b.WriteByte(' ')
				b.WriteString(a.String())
			}
		}
	case ev.URL != "":
		b.WriteString(ev.URL)
	case ev.Host != "":
		b.WriteString(ev.Host + ev.URI)
	case ev.SNI != "":
		b.WriteString("sni " + ev.SNI)
	case ev.App != "" || ev.User != "":
		b.WriteString(strings.TrimSpace(ev.User + " " + ev.App + " " + ev.Result))
	}
	if ev.FileName != "" || ev.MD5 != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.TrimSpace("file " + ev.FileName + " " + ev.MD5))
	}
	if ev.Kind == event.KindConn && b.Len() == 0 && (ev.OrigBytes > 0 || ev.RespBytes > 0) {
		fmt.Fprintf(&b, "%d B out, %d B in", ev.OrigBytes, ev.RespBytes)
	}
	return b.String()
}
