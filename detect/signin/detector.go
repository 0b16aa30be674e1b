package signin

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Defaults for Config's zero values.
const (
	DefaultWindow      = 24 * time.Hour
	DefaultMaxSpeedKmh = 1000.0
	DefaultReorder     = time.Hour
	DefaultHostTTL     = 7 * 24 * time.Hour
	DefaultMaxUsers    = 100_000
	DefaultMaxHosts    = 100_000
)

// Per-key caps: a user with hundreds of sign-ins a day, or a NAT address
// resolving hundreds of look-alikes, must not grow without bound.
const (
	maxRecentPerUser  = 16
	maxVisitsPerHost  = 8
	maxLearnedPerUser = 4
	maxUsersPerHost   = 8
	maxKnownSources   = 8
	minTravelKm       = 100 // geo jitter between nearby cities is not travel
	centroidSlackKm   = 1000
)

// Config says what the Detector knows. Every source of knowledge is
// optional: a nil Lookalike disables the look-alike join, a nil Geo the
// impossible-travel check.
type Config struct {
	Intel     IntelLookup
	Netblocks []Netblock
	Lookalike *lookalike.Detector
	// Hosts maps users to their workstations. A user missing from it is
	// joined through the private addresses of the user's own successful
	// sign-ins instead.
	Hosts Hosts
	Geo   Locator
	// Allow reports names that are never look-alike visits, however they
	// look (a popular-domains list: wns.windows.com resembles windows.net).
	// Names under the organisation's own domains — those of its users'
	// e-mail addresses — are never visits either: a resolver's search
	// suffix turns login.microsoftonline.com into
	// login.microsoftonline.com.corp.example.com.
	Allow func(domain string) bool
	// Window is how long before a sign-in a look-alike visit counts.
	Window time.Duration
	// MaxSpeedKmh is the travel speed above which two consecutive
	// successful sign-ins of one user are impossible.
	MaxSpeedKmh float64
	// Reorder is how far out of time order events may arrive (several
	// inputs interleaved) and still be joined.
	Reorder time.Duration
	// HostTTL is how long a workstation address learned from a sign-in
	// stays the user's.
	HostTTL time.Duration
	// MaxUsers and MaxHosts cap the users and visiting addresses held;
	// beyond them the least recently seen are forgotten.
	MaxUsers, MaxHosts int
}

// Stats counts what a Detector saw.
type Stats struct {
	Events          int64          `json:"events"`
	SignIns         int64          `json:"signins"`
	SkippedSignIns  int64          `json:"skipped_signins"` // no user or no source address
	LookalikeVisits int64          `json:"lookalike_visits"`
	Findings        map[Kind]int64 `json:"findings"`
	Evicted         int64          `json:"evicted"`
}

// Detector flags suspicious sign-ins in a stream of events. It is not safe
// for concurrent use: feed it from one goroutine.
type Detector struct {
	cfg       Config
	hostUsers map[netip.Addr][]string // reverse of cfg.Hosts

	users   map[string]*userState
	visits  map[netip.Addr][]visit
	learned map[netip.Addr][]stamp // workstation address -> users learned at it
	own     map[string]bool        // the users' e-mail domains

	watermark time.Time // latest event time seen
	jump      time.Time // an event far ahead of the watermark, awaiting a second
	lastSweep time.Time
	stats     Stats
}

// signinRec is a sign-in kept for later joins.
type signinRec struct {
	t                   time.Time
	ip                  netip.Addr
	user                string
	app, result, sensor string
	uid                 string
	success, newSource  bool
	lookalikeDone       bool
}

// visit is one look-alike domain seen from a host.
type visit struct {
	t           time.Time
	domain      string
	kind        event.Kind
	sensor, uid string
	find        lookalike.Find
}

// stamp is a name or address with when it was last seen.
type stamp struct {
	user string
	ip   netip.Addr
	t    time.Time
}

type userState struct {
	recent   []signinRec
	lastOK   signinRec // last successful, located sign-in
	lastOKAt Place
	hasOK    bool
	known    []netip.Addr // recent successful public sources
	hosts    []stamp      // learned workstations
	lastSeen time.Time
}

// New returns a Detector for cfg, with defaults filled in.
func New(cfg Config) *Detector {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxSpeedKmh <= 0 {
		cfg.MaxSpeedKmh = DefaultMaxSpeedKmh
	}
	if cfg.Reorder <= 0 {
		cfg.Reorder = DefaultReorder
	}
	if cfg.HostTTL <= 0 {
		cfg.HostTTL = DefaultHostTTL
	}
	if cfg.MaxUsers <= 0 {
		cfg.MaxUsers = DefaultMaxUsers
	}
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = DefaultMaxHosts
	}
	d := &Detector{cfg: cfg, hostUsers: map[netip.Addr][]string{}, users: map[string]*userState{},
		visits: map[netip.Addr][]visit{}, learned: map[netip.Addr][]stamp{}, own: map[string]bool{}, stats: Stats{Findings: map[Kind]int64{}}}
	// A map built by hand may spell users and addresses differently from
	// Hosts.Add; normalise a copy so that lookups by sign-in match.
	hosts := Hosts{}
	for u, ips := range cfg.Hosts {
		for _, ip := range ips {
			hosts.Add(u, ip)
		}
	}
	if cfg.Hosts != nil {
		d.cfg.Hosts = hosts
	}
	for u, ips := range hosts {
		d.addOwn(u)
		for _, ip := range ips {
			d.hostUsers[ip] = append(d.hostUsers[ip], u)
		}
	}
	return d
}

// Stats returns the counts so far.
func (d *Detector) Stats() Stats {
	s := d.stats
	s.Findings = make(map[Kind]int64, len(d.stats.Findings))
	for k, v := range d.stats.Findings {
		s.Findings[k] = v
	}
	return s
}

// Observe takes the next event and returns the findings it completes: for a
// sign-in, the rules that fire on it; for a look-alike visit that arrives
// after a sign-in it explains, that sign-in's finding. It keeps nothing of
// ev beyond the call. The common case, an event that completes nothing,
// does not allocate.
func (d *Detector) Observe(ev *event.Event) []Finding {
	d.stats.Events++
	d.advance(ev.Time)
	switch ev.Kind {
	case event.KindSignIn:
		return d.signIn(ev)
	case event.KindDNS, event.KindHTTP, event.KindTLS:
		if d.cfg.Lookalike == nil || !ev.SrcIP.IsValid() {
			return nil
		}
		var out []Finding
		names := [...]string{ev.Domain, ev.Host, ev.SNI}
		for i, name := range names {
			if name != "" && !slices.Contains(names[:i], name) {
				out = d.web(ev, name, out)
			}
		}
		return out
	}
	return nil
}

// maxJump is how far ahead of the watermark one event may move it alone.
// A single record with a broken clock (year 2099) would otherwise make all
// state look expired; a second event near it confirms a real jump (a gap
// between two log files).
const maxJump = 7 * 24 * time.Hour

// advance moves the watermark and sweeps expired state now and then.
func (d *Detector) advance(t time.Time) {
	if t.After(d.watermark) {
		if !d.watermark.IsZero() && t.Sub(d.watermark) > maxJump {
			if d.jump.IsZero() || t.Sub(d.jump).Abs() > time.Hour {
				d.jump = t
				return
			}
		}
		d.watermark, d.jump = t, time.Time{}
	}
	if d.lastSweep.IsZero() {
		d.lastSweep = d.watermark
	}
	if d.watermark.Sub(d.lastSweep) >= time.Hour {
		d.sweep()
		d.lastSweep = d.watermark
	}
}

// retention is how long a sign-in or a visit stays joinable.
func (d *Detector) retention() time.Duration { return d.cfg.Window + d.cfg.Reorder }

// travelHorizon is the longest gap between two sign-ins that can still be
// impossible travel: half the Earth's circumference at the speed limit.
func (d *Detector) travelHorizon() time.Duration {
	return time.Duration(math.Pi*earthRadiusKm/d.cfg.MaxSpeedKmh*float64(time.Hour)) + d.cfg.Reorder
}

func hostName(name string) string {
	name = strings.TrimSuffix(name, ".")
	if h, _, ok := strings.Cut(name, ":"); ok && !strings.Contains(h, "[") && strings.Count(name, ":") == 1 {
		name = h // Host header with a port
	}
	return name
}

// web records a look-alike visit and joins it with sign-ins already seen.
func (d *Detector) web(ev *event.Event, name string, out []Finding) []Finding {
	name = hostName(name)
	f, ok := d.cfg.Lookalike.Check(name)
	if !ok {
		return out
	}
	// Look-alikes are rare, so only they pay for folding the case (DNS
	// 0x20 randomisation mixes it).
	name = strings.ToLower(name)
	if d.isOwn(name) || d.cfg.Allow != nil && d.cfg.Allow(name) {
		return out
	}
	d.stats.LookalikeVisits++
	ip := ev.SrcIP.Unmap()
	v := visit{t: ev.Time, domain: name, kind: ev.Kind, sensor: ev.Sensor, uid: ev.UID, find: f}
	vs := d.visits[ip]
	if vs == nil && len(d.visits) >= d.cfg.MaxHosts {
		d.evictHosts()
	}
	// Repeats of one name keep only the earliest visit in the window: the
	// first is the phishing click, the rest are the page's own requests.
	dup := false
	for _, o := range vs {
		if o.domain == name && ev.Time.Sub(o.t) < d.cfg.Window && !ev.Time.Before(o.t) {
			dup = true
			break
		}
	}
	if !dup {
		if len(vs) >= maxVisitsPerHost {
			vs = slices.Delete(vs, 0, 1)
		}
		d.visits[ip] = append(vs, v)
	}
	// A sign-in read before this visit (another input) may follow it in time.
	for _, u := range d.usersAt(ip) {
		out = d.rejoin(u, out)
	}
	return out
}

// maxOwnDomains caps the organisation's domains: a tenant has a handful,
// and consumer accounts (gmail.com) add one each at most.
const maxOwnDomains = 1000

// addOwn records the domain of a user's e-mail address as the organisation's.
func (d *Detector) addOwn(user string) {
	_, dom, ok := strings.Cut(user, "@")
	if !ok || dom == "" || d.own[dom] || len(d.own) >= maxOwnDomains {
		return
	}
	d.own[strings.ToLower(dom)] = true
}

// isOwn reports whether name is one of the organisation's domains or under
// one.
func (d *Detector) isOwn(name string) bool {
	for rest := name; rest != ""; {
		if d.own[rest] {
			return true
		}
		_, after, ok := strings.Cut(rest, ".")
		if !ok {
			break
		}
		rest = after
	}
	return false
}

// usersAt lists the users who work at ip, from the host list and from
// learned workstations.
func (d *Detector) usersAt(ip netip.Addr) []string {
	us := d.hostUsers[ip]
	if l := d.learned[ip]; len(l) > 0 {
		us = slices.Clone(us)
		for _, s := range l {
			if _, explicit := d.cfg.Hosts[s.user]; !explicit && !slices.Contains(us, s.user) {
				us = append(us, s.user)
			}
		}
	}
	return us
}

// hostsOf lists the workstation addresses of user: from the host list, or
// learned (with the time of the sign-in that taught it).
func (d *Detector) hostsOf(user string, u *userState) []stamp {
	if hs, ok := d.cfg.Hosts[user]; ok {
		out := make([]stamp, len(hs))
		for i, ip := range hs {
			out[i] = stamp{ip: ip}
		}
		return out
	}
	return u.hosts
}

// rejoin checks user's kept sign-ins that no look-alike visit explained yet.
func (d *Detector) rejoin(user string, out []Finding) []Finding {
	u := d.users[user]
	if u == nil {
		return out
	}
	hosts := d.hostsOf(user, u)
	for i := range u.recent {
		if u.recent[i].lookalikeDone {
			continue
		}
		if f, ok := d.lookalikeFinding(&u.recent[i], hosts); ok {
			out = d.emit(out, f)
		}
	}
	return out
}

func isInternal(ip netip.Addr) bool {
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()
}

// signIn runs every rule on one sign-in.
func (d *Detector) signIn(ev *event.Event) []Finding {
	d.stats.SignIns++
	user := normUser(ev.User)
	if user == "" || !ev.SrcIP.IsValid() {
		d.stats.SkippedSignIns++
		return nil
	}
	ip := ev.SrcIP.Unmap()
	success := ev.Result == "success"
	rec := signinRec{t: ev.Time, ip: ip, user: user, app: ev.App, result: ev.Result, sensor: ev.Sensor, uid: ev.UID, success: success}
	var out []Finding

	if d.cfg.Intel != nil {
		ms := d.cfg.Intel(ev)
		// The built-in knowledge carries the operator netblock as an
		// indicator too; the netblock rule below reports it once.
		ms = slices.DeleteFunc(ms, func(m IntelMatch) bool {
			return slices.ContainsFunc(d.cfg.Netblocks, func(nb Netblock) bool { return nb.Prefix.Contains(ip) && m.Indicator == nb.Prefix.String() })
		})
		if len(ms) > 0 {
			f := rec.finding(KindIntelIP, 70)
			best := 0
			for _, m := range ms {
				f.Evidence = append(f.Evidence, m.evidence(ip))
				f.IndicatorIDs = append(f.IndicatorIDs, m.IDs...)
				if m.Actor != "" && (f.Actor == "" || m.ActorConfidence > best) {
					f.Actor, best = m.Actor, m.ActorConfidence
				}
			}
			if success {
				f.Confidence += 15
				f.Evidence = append(f.Evidence, "the sign-in succeeded")
			}
			out = d.emit(out, f)
		}
	}
	for _, nb := range d.cfg.Netblocks {
		if nb.Prefix.Contains(ip) {
			f := rec.finding(KindOperatorNetblock, 75)
			f.Actor, f.ActorID = nb.Actor, nb.ActorID
			who := "a known operator netblock"
			if nb.Actor != "" {
				who = "the operator netblock of " + nb.Actor
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("source %s is in %s, %s", ip, nb.Prefix, who))
			if success {
				f.Confidence += 15
				f.Evidence = append(f.Evidence, "the sign-in succeeded")
			}
			out = d.emit(out, f)
		}
	}

	d.addOwn(user)
	u := d.user(user)
	if t := ev.Time; t.After(u.lastSeen) {
		u.lastSeen = t
	}
	internal := isInternal(ip)
	if !internal {
		rec.newSource = !slices.Contains(u.known, ip)
		if success && rec.newSource {
			if len(u.known) >= maxKnownSources {
				u.known = slices.Delete(u.known, 0, 1)
			}
			u.known = append(u.known, ip)
		}
	}

	// A sign-in from an address the user already used is never joined
	// with a visit (see lookalikeFinding), so it need not be kept.
	if d.cfg.Lookalike != nil && (rec.newSource || internal) {
		if len(u.recent) >= maxRecentPerUser {
			u.recent = slices.Delete(u.recent, 0, 1)
		}
		u.recent = append(u.recent, rec)
		r := &u.recent[len(u.recent)-1]
		if f, ok := d.lookalikeFinding(r, d.hostsOf(user, u)); ok {
			out = d.emit(out, f)
		}
	}
	if d.cfg.Lookalike != nil && internal && success {
		if d.learn(user, u, ip, ev.Time) {
			out = d.rejoin(user, out)
		}
	}

	if d.cfg.Geo != nil && success && !internal {
		if f, ok := d.travel(u, rec); ok {
			out = d.emit(out, f)
		}
	}
	return out
}

func (d *Detector) emit(out []Finding, f Finding) []Finding {
	if f.Confidence > 100 {
		f.Confidence = 100
	}
	if f.Confidence < 1 {
		f.Confidence = 1
	}
	d.stats.Findings[f.Kind]++
	return append(out, f)
}

func (r *signinRec) finding(k Kind, confidence int) Finding {
	return Finding{Time: r.t, User: r.user, SrcIP: r.ip, App: r.app, Result: r.result, Sensor: r.sensor, UID: r.uid, Kind: k, Confidence: confidence}
}

func (r *signinRec) ref() Ref {
	return Ref{Time: r.t, Kind: event.KindSignIn.String(), Sensor: r.sensor, UID: r.uid, SrcIP: r.ip, Value: r.user}
}

// user returns the state of user, creating it (and making room) as needed.
func (d *Detector) user(name string) *userState {
	u := d.users[name]
	if u == nil {
		if len(d.users) >= d.cfg.MaxUsers {
			d.evictUsers()
		}
		u = &userState{}
		d.users[name] = u
	}
	return u
}

// learn records ip as a workstation of user; true when it is new.
func (d *Detector) learn(user string, u *userState, ip netip.Addr, t time.Time) bool {
	for i := range u.hosts {
		if u.hosts[i].ip == ip {
			if t.After(u.hosts[i].t) {
				u.hosts[i].t = t
				d.touchLearned(ip, user, t)
			}
			return false
		}
	}
	if len(u.hosts) >= maxLearnedPerUser {
		d.unlearn(u.hosts[0].ip, user)
		u.hosts = slices.Delete(u.hosts, 0, 1)
	}
	u.hosts = append(u.hosts, stamp{ip: ip, t: t})
	l := d.learned[ip]
	if len(l) >= maxUsersPerHost {
		if o := d.users[l[0].user]; o != nil {
			o.hosts = slices.DeleteFunc(o.hosts, func(s stamp) bool { return s.ip == ip })
		}
		l = slices.Delete(l, 0, 1)
	}
	d.learned[ip] = append(l, stamp{user: user, t: t})
	return true
}

func (d *Detector) touchLearned(ip netip.Addr, user string, t time.Time) {
	for i, s := range d.learned[ip] {
		if s.user == user {
			d.learned[ip][i].t = t
		}
	}
}

func (d *Detector) unlearn(ip netip.Addr, user string) {
	l := slices.DeleteFunc(d.learned[ip], func(s stamp) bool { return s.user == user })
	if len(l) == 0 {
		delete(d.learned, ip)
	} else {
		d.learned[ip] = l
	}
}

// lookalikeFinding joins one sign-in with the look-alike visits of the
// user's workstations in the window before it.
func (d *Detector) lookalikeFinding(r *signinRec, hosts []stamp) (Finding, bool) {
	if !r.newSource && !isInternal(r.ip) {
		// The user signed in successfully from this address before: the
		// office egress or the user's home, where a phished password
		// changes nothing. Whoever harvested it signs in from elsewhere.
		r.lookalikeDone = true
		return Finding{}, false
	}
	var f Finding
	n, bestScore := 0, 0
	for _, hs := range hosts {
		h := hs.ip
		if h == r.ip {
			// The user signing in from the workstation that clicked is the
			// user, not whoever harvested the password.
			continue
		}
		for _, v := range d.visits[h] {
			if v.t.After(r.t) || r.t.Sub(v.t) > d.cfg.Window {
				continue
			}
			if n == 0 {
				f = r.finding(KindAfterLookalike, 40)
			}
			if n == 0 || f.Related[len(f.Related)-1].SrcIP != h {
				how := "per the host list"
				if !hs.t.IsZero() {
					how = "it signed in from there successfully at " + hs.t.UTC().Format(time.RFC3339)
				}
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s is a workstation of %s: %s", h, r.user, how))
			}
			n++
			bestScore = max(bestScore, v.find.Score)
			f.Evidence = append(f.Evidence, fmt.Sprintf("visited %s from %s at %s (%s), %s before the sign-in: look-alike of %s, %s, score %d",
				v.domain, h, v.t.UTC().Format(time.RFC3339), v.kind, r.t.Sub(v.t).Round(time.Second), v.find.Brand, v.find.Fuzzer, v.find.Score))
			f.Related = append(f.Related, Ref{Time: v.t, Kind: v.kind.String(), Sensor: v.sensor, UID: v.uid, SrcIP: h, Value: v.domain})
		}
	}
	if n == 0 {
		return Finding{}, false
	}
	r.lookalikeDone = true
	// A name that only resembles a brand by a typo is weaker than one
	// dressed up as the brand's login page.
	f.Confidence += bestScore / 4
	if r.success {
		f.Confidence += 10
		f.Evidence = append(f.Evidence, "the sign-in succeeded")
	}
	switch {
	case isInternal(r.ip):
		f.Confidence -= 25
		f.Evidence = append(f.Evidence, fmt.Sprintf("source %s is internal", r.ip))
	default:
		f.Confidence += 15
		f.Evidence = append(f.Evidence, fmt.Sprintf("source %s is new for %s", r.ip, r.user))
	}
	return f, true
}

// travel compares a successful sign-in with the user's previous one.
func (d *Detector) travel(u *userState, r signinRec) (Finding, bool) {
	var p Place
	if u.hasOK && u.lastOK.ip == r.ip {
		p = u.lastOKAt // the same address as last time: spare the lookup
	} else if l, ok := d.cfg.Geo.Locate(r.ip); ok && l.HasCoords {
		p = l
	} else {
		return Finding{}, false
	}
	prev, prevAt, had := u.lastOK, u.lastOKAt, u.hasOK
	if had && r.t.Before(prev.t) {
		return Finding{}, false // out of order: the later sign-in stays the reference
	}
	u.lastOK, u.lastOKAt, u.hasOK = r, p, true
	if !had || r.t.Sub(prev.t) > d.travelHorizon() {
		return Finding{}, false
	}
	if (p.Centroid || prevAt.Centroid) && p.Country == prevAt.Country {
		return Finding{}, false
	}
	// A country centre may be far from where the user is: Seattle and
	// Vancouver are 200 km apart, the US and Canadian centres 2,200. Count
	// only the distance the centres cannot explain.
	km := distanceKm(prevAt, p)
	for _, c := range [...]bool{p.Centroid, prevAt.Centroid} {
		if c {
			km -= centroidSlackKm
		}
	}
	if km < minTravelKm {
		return Finding{}, false
	}
	dt := r.t.Sub(prev.t)
	speed := math.Inf(1)
	if dt > 0 {
		speed = km / dt.Hours()
	}
	if speed <= d.cfg.MaxSpeedKmh {
		return Finding{}, false
	}
	f := r.finding(KindImpossibleTravel, 55)
	if speed > 3*d.cfg.MaxSpeedKmh {
		f.Confidence += 15
	}
	if p.Centroid || prevAt.Centroid {
		f.Confidence -= 10 // country centres only: the distance is rough
	}
	sp := "an instant"
	if !math.IsInf(speed, 1) {
		sp = fmt.Sprintf("%.0f km/h", speed)
	}
	f.Evidence = append(f.Evidence,
		fmt.Sprintf("previous successful sign-in from %s in %s at %s", prev.ip, prevAt, prev.t.UTC().Format(time.RFC3339)),
		fmt.Sprintf("this one from %s in %s: at least %.0f km in %s, %s (limit %.0f km/h)", r.ip, p, km, dt.Round(time.Second), sp, d.cfg.MaxSpeedKmh))
	f.Related = append(f.Related, prev.ref())
	return f, true
}

// sweep forgets what can no longer join.
func (d *Detector) sweep() {
	joinCut := d.watermark.Add(-d.retention())
	userCut := d.watermark.Add(-max(d.retention(), d.travelHorizon(), d.cfg.HostTTL))
	for ip, vs := range d.visits {
		vs = slices.DeleteFunc(vs, func(v visit) bool { return v.t.Before(joinCut) })
		if len(vs) == 0 {
			delete(d.visits, ip)
			d.stats.Evicted++
		} else {
			d.visits[ip] = vs
		}
	}
	hostCut := d.watermark.Add(-d.cfg.HostTTL)
	for ip, l := range d.learned {
		l = slices.DeleteFunc(l, func(s stamp) bool { return s.t.Before(hostCut) })
		if len(l) == 0 {
			delete(d.learned, ip)
		} else {
			d.learned[ip] = l
		}
	}
	for name, u := range d.users {
		u.recent = slices.DeleteFunc(u.recent, func(r signinRec) bool { return r.t.Before(joinCut) })
		u.hosts = slices.DeleteFunc(u.hosts, func(s stamp) bool { return s.t.Before(hostCut) })
		if u.lastSeen.Before(userCut) {
			d.dropUser(name, u)
		}
	}
}

func (d *Detector) dropUser(name string, u *userState) {
	for _, h := range u.hosts {
		d.unlearn(h.ip, name)
	}
	delete(d.users, name)
	d.stats.Evicted++
}

// evictUsers forgets the least recently seen eighth of the users when the
// cap is reached, so the cost of finding them is spread over many inserts.
func (d *Detector) evictUsers() {
	d.sweep()
	// Sweeping must free a good share, or the next insert would sweep
	// again: below 7/8 of the cap it has.
	if len(d.users) < d.cfg.MaxUsers*7/8 {
		return
	}
	times := make([]int64, 0, len(d.users))
	for _, u := range d.users {
		times = append(times, u.lastSeen.UnixNano())
	}
	slices.Sort(times)
	cut := times[len(times)/8]
	for name, u := range d.users {
		if u.lastSeen.UnixNano() <= cut {
			d.dropUser(name, u)
		}
	}
}

// evictHosts does the same for visiting addresses.
func (d *Detector) evictHosts() {
	d.sweep()
	if len(d.visits) < d.cfg.MaxHosts*7/8 {
		return
	}
	last := func(vs []visit) int64 { return vs[len(vs)-1].t.UnixNano() }
	times := make([]int64, 0, len(d.visits))
	for _, vs := range d.visits {
		times = append(times, last(vs))
	}
	slices.Sort(times)
	cut := times[len(times)/8]
	for ip, vs := range d.visits {
		if last(vs) <= cut {
			delete(d.visits, ip)
			d.stats.Evicted++
		}
	}
}
