package simulate

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/telemetry/communityid"
)

// Actor is the name truth.jsonl gives the intrusion's author.
const Actor = "Winnti umbrella"

// Truth is one line of truth.jsonl: a malicious record, where it is and
// what it is. UID is the Zeek uid (conn, dns, http, ssl, files), the
// certificate fingerprint for x509 (x509.log has no connection uid), or
// the record id for sign-ins (Graph id, Google uniqueQualifier).
type Truth struct {
	UID       string `json:"uid"`
	Log       string `json:"log"`  // conn, dns, http, ssl, x509, files or signin
	Kind      string `json:"kind"` // phishing, c2, scan, signed-malware, operator-session, cloud-signin, resume-lure
	Actor     string `json:"actor"`
	Indicator string `json:"indicator"`
	Time      string `json:"ts"` // RFC 3339, UTC
}

// gen generates one day: it writes that day's Zeek records, truth and
// packets in time order. It holds nothing per event: a minute's session
// start times and the precomputed intrusion plan are all it keeps.
type gen struct {
	*world
	r                                 *rand.Rand
	zipf                              *rand.Zipf
	conn, dns, http, ssl, x509, files *zeekLog
	truth                             *bufio.Writer
	truthLines                        uint64
	pcap                              *pcapOut
	pcapBudget                        int
	certLogged                        []bool // per popular domain: its x509 records are out today
	c2CertLogged                      []bool
	truthPending                      bool // the session being written is malicious: always capture it
}

type session struct {
	t    int64
	host int32
	act  int32 // index into plan.acts, or -1 for background
}

// world is what every day of generation shares, read-only.
type world struct {
	opts           Options
	org            *Org
	att            *attacker
	plan           *plan
	pes            []peFile
	startUS, dayUS int64
	domainIPs      []netip.Addr
	leafCerts      []certificate // per popular domain
	chainCerts     []certificate
	servers        struct{ dc, fs, build, p4, sign, jump []int }
}

// dayResult is what generating one day produced: its part files and
// counts, for the assembler to append in order.
type dayResult struct {
	lines   [len(zeekLogNames)]uint64
	truth   uint64
	packets uint64
	err     error
}

var zeekLogNames = [...]string{"conn", "dns", "http", "ssl", "x509", "files"}

// partPath names a day's piece of an output file; the pieces are hidden
// files beside the final one and are removed once appended.
func partPath(final string, day int) string {
	return filepath.Join(filepath.Dir(final), fmt.Sprintf(".%s.part%05d", filepath.Base(final), day))
}

// generateTraffic writes the Zeek logs, truth.jsonl and the pcap. Days are
// generated in parallel, each from its own random stream and into its own
// part files, and appended in order, so the output is the same for any
// number of workers and memory stays flat.
func generateTraffic(ctx context.Context, opts Options, org *Org, att *attacker, p *plan, pes []peFile, sum *Summary) (err error) {
	w := &world{opts: opts, org: org, att: att, plan: p, pes: pes,
		startUS: opts.Start.UnixMicro(), dayUS: int64(24 * time.Hour / time.Microsecond)}
	for i, d := range popularDomains {
		w.domainIPs = append(w.domainIPs, providerAddr(d.provider, d.name))
		leaf, chain := domainCerts(i, w.startUS)
		w.leafCerts = append(w.leafCerts, leaf)
		w.chainCerts = append(w.chainCerts, chain)
	}
	w.servers.dc, w.servers.fs = org.byRole(RoleDomainController), org.byRole(RoleFileServer)
	w.servers.build, w.servers.p4 = org.byRole(RoleBuildServer), org.byRole(RoleVersionControl)
	w.servers.sign, w.servers.jump = org.byRole(RoleSigningServer), org.byRole(RoleJumpHost)

	finals := outputPaths(opts)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, opts.Days)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan dayResult, opts.Days)
	for d := range results {
		results[d] = make(chan dayResult, 1)
	}
	days := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range days {
				results[d] <- w.runDay(ctx, d, finals)
			}
		}()
	}
	go func() {
		defer close(days)
		for d := 0; d < opts.Days; d++ {
			select {
			case days <- d:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
		for d := 0; d < opts.Days; d++ {
			for _, f := range finals {
				if f != "" {
					os.Remove(partPath(f, d))
				}
			}
		}
	}()

	out, err := createOutputs(opts, finals)
	if err != nil {
		return err
	}
	defer out.closeAll()
	for d := 0; d < opts.Days; d++ {
		var res dayResult
		select {
		case res = <-results[d]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if res.err != nil {
			return res.err
		}
		if err := out.appendDay(d); err != nil {
			return err
		}
		sum.Conn += res.lines[0]
		sum.DNS += res.lines[1]
		sum.HTTP += res.lines[2]
		sum.SSL += res.lines[3]
		sum.X509 += res.lines[4]
		sum.Files += res.lines[5]
		sum.Truth += res.truth
		sum.Packets += res.packets
	}
	return out.finish(opts.Start.AddDate(0, 0, opts.Days))
}

// outputPaths lists the final files the days are appended to: the six
// Zeek logs, truth.jsonl and, with PCAP, the capture ("" without).
func outputPaths(opts Options) []string {
	var paths []string
	for _, name := range zeekLogNames {
		paths = append(paths, filepath.Join(opts.Out, "zeek", name+".log"))
	}
	paths = append(paths, filepath.Join(opts.Out, "truth.jsonl"))
	if opts.PCAP {
		paths = append(paths, filepath.Join(opts.Out, "pcap", "scenario.pcap"))
	} else {
		paths = append(paths, "")
	}
	return paths
}

// outputs are the final files, open for appending the days' parts.
type outputs struct {
	paths []string
	files []*os.File
}

func createOutputs(opts Options, paths []string) (*outputs, error) {
	o := &outputs{paths: paths}
	for i, path := range paths {
		if path == "" {
			o.files = append(o.files, nil)
			continue
		}
		f, err := os.Create(path)
		if err != nil {
			o.closeAll()
			return nil, fmt.Errorf("simulate: %v", err)
		}
		o.files = append(o.files, f)
		switch {
		case i < len(zeekLogNames):
			_, err = f.WriteString(zeekHeader(zeekLogNames[i], opts.Start))
		case i == len(paths)-1:
			err = writePCAPHeader(f)
		}
		if err != nil {
			o.closeAll()
			return nil, fmt.Errorf("simulate: %s: %v", path, err)
		}
	}
	return o, nil
}

// appendDay moves a day's parts onto the end of the final files (io.Copy
// between files lets the kernel do it).
func (o *outputs) appendDay(d int) error {
	for i, f := range o.files {
		if f == nil {
			continue
		}
		part := partPath(o.paths[i], d)
		pf, err := os.Open(part)
		if err != nil {
			return fmt.Errorf("simulate: %v", err)
		}
		_, err = io.Copy(f, pf)
		pf.Close()
		if err != nil {
			return fmt.Errorf("simulate: appending %s: %v", part, err)
		}
		os.Remove(part)
	}
	return nil
}

// finish writes the Zeek #close footers and closes the files.
func (o *outputs) finish(end time.Time) error {
	var first error
	for i, f := range o.files {
		if f == nil {
			continue
		}
		if i < len(zeekLogNames) {
			if _, err := f.WriteString("#close\t" + end.UTC().Format(zeekTimeLayout) + "\n"); err != nil && first == nil {
				first = fmt.Errorf("simulate: %s: %v", o.paths[i], err)
			}
		}
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("simulate: %s: %v", o.paths[i], err)
		}
		o.files[i] = nil
	}
	return first
}

func (o *outputs) closeAll() {
	for i, f := range o.files {
		if f != nil {
			f.Close()
			o.files[i] = nil
		}
	}
}

// runDay generates day d into its part files.
func (w *world) runDay(ctx context.Context, d int, finals []string) (res dayResult) {
	if err := ctx.Err(); err != nil {
		return dayResult{err: err}
	}
	// Each day draws from its own stream, so days can run in any order.
	r := rand.New(rand.NewPCG(w.opts.Seed, 0x7a65656b^uint64(d+1)*0x9e3779b97f4a7c15))
	g := &gen{world: w, r: r, zipf: rand.NewZipf(r, 1.15, 2, uint64(len(popularDomains)-1)),
		certLogged: make([]bool, len(popularDomains)), c2CertLogged: make([]bool, len(w.att.c2)),
		pcapBudget: max(200, 20000/w.opts.Days)}
	logs := []**zeekLog{&g.conn, &g.dns, &g.http, &g.ssl, &g.x509, &g.files}
	var files []*os.File
	defer func() {
		for _, f := range files {
			if cerr := f.Close(); cerr != nil && res.err == nil {
				res.err = fmt.Errorf("simulate: %v", cerr)
			}
		}
	}()
	create := func(final string) (*os.File, *bufio.Writer, error) {
		f, err := os.Create(partPath(final, d))
		if err != nil {
			return nil, nil, fmt.Errorf("simulate: %v", err)
		}
		files = append(files, f)
		return f, bufio.NewWriterSize(f, 256<<10), nil
	}
	var writers []*bufio.Writer
	for i := range zeekLogNames {
		_, bw, err := create(finals[i])
		if err != nil {
			return dayResult{err: err}
		}
		*logs[i] = &zeekLog{path: zeekLogNames[i], w: bw}
		writers = append(writers, bw)
	}
	_, tw, err := create(finals[len(zeekLogNames)])
	if err != nil {
		return dayResult{err: err}
	}
	g.truth = tw
	writers = append(writers, tw)
	if pc := finals[len(finals)-1]; pc != "" {
		_, pw, err := create(pc)
		if err != nil {
			return dayResult{err: err}
		}
		g.pcap = newPCAPRecords(pw)
		writers = append(writers, pw)
	}

	p := w.plan
	dayStart := w.startUS + int64(d)*w.dayUS
	next, _ := slices.BinarySearchFunc(p.acts, dayStart, func(a action, t int64) int { return cmpInt64(a.t, t) })
	weekday := w.opts.Start.AddDate(0, 0, d).Weekday()
	var sessions []session
	for m := int64(0); m < 24*60; m++ {
		if m%60 == 0 && ctx.Err() != nil {
			return dayResult{err: ctx.Err()}
		}
		t0 := dayStart + m*60e6
		hour := int(m / 60)
		sessions = sessions[:0]
		for hi := range w.org.Hosts {
			n := g.poisson(g.rate(hi, hour, weekday))
			for k := 0; k < n; k++ {
				sessions = append(sessions, session{t: t0 + g.r.Int64N(60e6), host: int32(hi), act: -1})
			}
		}
		for ; next < len(p.acts) && p.acts[next].t < t0+60e6; next++ {
			sessions = append(sessions, session{t: p.acts[next].t, host: int32(p.acts[next].host), act: int32(next)})
		}
		slices.SortFunc(sessions, func(a, b session) int { return cmpInt64(a.t, b.t) })
		for _, s := range sessions {
			if s.act >= 0 {
				g.malicious(&p.acts[s.act])
			} else {
				g.background(int(s.host), s.t)
			}
		}
	}
	for _, bw := range writers {
		if err := bw.Flush(); err != nil {
			return dayResult{err: fmt.Errorf("simulate: day %d: %v", d, err)}
		}
	}
	for i, l := range logs {
		res.lines[i] = (*l).lines
	}
	res.truth = g.truthLines
	if g.pcap != nil {
		res.packets = g.pcap.packets
	}
	return res
}

// rate is the mean number of sessions a host starts per minute at an hour
// of the day (UTC, the studio's time zone).
func (g *gen) rate(hi, hour int, wd time.Weekday) float64 {
	h := &g.org.Hosts[hi]
	switch h.Role {
	case RoleWorkstation:
		weekend := wd == time.Saturday || wd == time.Sunday
		switch {
		case weekend && hi%7 == 0 && hour >= 10 && hour < 18:
			return 0.25 // crunch
		case weekend:
			return 0.01
		case hour >= 9 && hour < 12, hour >= 13 && hour < 18:
			return 0.8
		case hour == 12, hour == 8, hour == 18:
			return 0.35
		default:
			return 0.01
		}
	case RoleBuildServer:
		return 0.3
	case RoleDomainController:
		return 0.05
	default:
		return 0.02
	}
}

// poisson draws a Poisson count with mean lambda (Knuth's method; the
// means here are small).
func (g *gen) poisson(lambda float64) int {
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= g.r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// uid makes a Zeek-style id: the prefix ('C' for connections, 'F' for
// files) and 17 base62 characters.
func (g *gen) uid(prefix byte) string {
	var b [18]byte
	b[0] = prefix
	x, y := g.r.Uint64(), g.r.Uint64()
	for i := 1; i < 18; i++ {
		if i == 10 {
			x = y
		}
		b[i] = base62[x%62]
		x /= 62
	}
	return string(b[:])
}

func (g *gen) ephemeralPort() uint16 { return uint16(49152 + g.r.IntN(16384)) }

// providerAddr is a domain's address: a stable spot in its provider's /21
// of 198.18.0.0/15.
func providerAddr(provider uint8, name string) netip.Addr {
	h := fnv.New32a()
	h.Write([]byte(name))
	return offsetAddr(providerBase(provider), 1+h.Sum32()%2000)
}

// providerBase is the first address of a provider's /21.
func providerBase(provider uint8) netip.Addr {
	return offsetAddr(netip.AddrFrom4([4]byte{198, 18, 0, 0}), uint32(provider)*2048)
}

func offsetAddr(a netip.Addr, off uint32) netip.Addr {
	b := a.As4()
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], binary.BigEndian.Uint32(b[:])+off)
	return netip.AddrFrom4(out)
}

func isLocal(a netip.Addr) bool {
	b := a.As4()
	return a.Is4() && b[0] == 10 && b[1] == 20
}

// connRec is one conn.log record.
type connRec struct {
	ts        int64
	uid       string
	src, dst  netip.Addr
	sport     uint16
	dport     uint16
	proto     uint8 // 6 or 17
	service   string
	durUS     int64
	origBytes uint64
	respBytes uint64
	state     string
	history   string
	origPkts  uint64
	respPkts  uint64
}

func (g *gen) writeConn(c *connRec) {
	l := g.conn
	l.begin(c.ts)
	l.str(c.uid)
	l.addr(c.src)
	l.count(uint64(c.sport))
	l.addr(c.dst)
	l.count(uint64(c.dport))
	hdr := uint64(40)
	if c.proto == 17 {
		l.str("udp")
		hdr = 28
	} else {
		l.str("tcp")
	}
	l.str(c.service)
	if c.state == "S0" || c.state == "REJ" {
		l.unset()
		l.unset()
		l.unset()
	} else {
		l.interval(c.durUS)
		l.count(c.origBytes)
		l.count(c.respBytes)
	}
	l.str(c.state)
	l.boolean(isLocal(c.src))
	l.boolean(isLocal(c.dst))
	l.count(0)
	l.str(c.history)
	l.count(c.origPkts)
	l.count(c.origBytes + c.origPkts*hdr)
	l.count(c.respPkts)
	l.count(c.respBytes + c.respPkts*hdr)
	l.unset()
	l.str(communityid.V1(0, c.src, c.dst, c.sport, c.dport, c.proto))
	l.end()
}

// tcpConn fills a completed TCP connection's record.
func (g *gen) tcpConn(ts int64, src, dst netip.Addr, dport uint16, service string, durUS int64, ob, rb uint64) connRec {
	return connRec{ts: ts, uid: g.uid('C'), src: src, dst: dst, sport: g.ephemeralPort(), dport: dport, proto: 6,
		service: service, durUS: durUS, origBytes: ob, respBytes: rb, state: "SF", history: "ShADadFf",
		origPkts: 4 + ob/1200, respPkts: 3 + rb/1400}
}

// dnsLookup writes the conn and dns records of one A query to the
// internal resolver and returns the uid.
func (g *gen) dnsLookup(ts int64, src netip.Addr, name string, answers []netip.Addr, ttl int, nxdomain bool) string {
	rtt := int64(300 + g.r.IntN(30000))
	c := connRec{ts: ts, uid: g.uid('C'), src: src, dst: g.org.DNS, sport: g.ephemeralPort(), dport: 53, proto: 17,
		service: "dns", durUS: rtt, origBytes: uint64(17 + len(name)), respBytes: uint64(33 + len(name) + 16*len(answers)),
		state: "SF", history: "Dd", origPkts: 1, respPkts: 1}
	g.writeConn(&c)
	transID := uint16(g.r.Uint32())
	l := g.dns
	l.begin(ts)
	l.str(c.uid)
	l.addr(src)
	l.count(uint64(c.sport))
	l.addr(g.org.DNS)
	l.count(53)
	l.str("udp")
	l.count(uint64(transID))
	l.interval(rtt)
	l.str(name)
	l.count(1)
	l.str("C_INTERNET")
	l.count(1)
	l.str("A")
	if nxdomain {
		l.count(3)
		l.str("NXDOMAIN")
	} else {
		l.count(0)
		l.str("NOERROR")
	}
	l.boolean(false)
	l.boolean(false)
	l.boolean(true)
	l.boolean(true)
	l.count(0)
	if len(answers) == 0 {
		l.unset()
		l.unset()
	} else {
		l.line = append(l.line, '\t')
		for i, a := range answers {
			if i > 0 {
				l.line = append(l.line, ',')
			}
			l.line = a.AppendTo(l.line)
		}
		l.line = append(l.line, '\t')
		for i := range answers {
			if i > 0 {
				l.line = append(l.line, ',')
			}
			l.line = strconv.AppendInt(l.line, int64(ttl), 10)
			l.line = append(l.line, ".000000"...)
		}
	}
	l.boolean(false)
	l.end()
	if g.pcap != nil && g.wantPacket(g.truthPending) {
		g.pcap.dns(ts, rtt, src, c.sport, g.org.DNS, transID, name, answers, ttl, nxdomain)
	}
	return c.uid
}

// tlsParams describe one TLS connection.
type tlsParams struct {
	ts       int64
	src, dst netip.Addr
	dport    uint16
	sni      string
	prof     *helloProfile
	tls12    bool
	cert     *certificate // leaf, TLS 1.2 only
	chain    *certificate // intermediate, or nil
	logCerts bool         // write the x509 records (first sighting today)
	durUS    int64
	ob, rb   uint64
}

// tlsSession writes conn, ssl and (for TLS 1.2, when asked) x509 records
// and returns the conn uid.
func (g *gen) tlsSession(p *tlsParams) string {
	c := g.tcpConn(p.ts, p.src, p.dst, p.dport, "ssl", p.durUS, p.ob, p.rb)
	g.writeConn(&c)
	l := g.ssl
	l.begin(p.ts + 2000)
	l.str(c.uid)
	l.addr(p.src)
	l.count(uint64(c.sport))
	l.addr(p.dst)
	l.count(uint64(p.dport))
	sh := server13
	if p.tls12 {
		sh = server12
		l.str("TLSv12")
		l.str("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
	} else {
		l.str("TLSv13")
		l.str("TLS_AES_128_GCM_SHA256")
	}
	l.str("x25519")
	l.str(p.sni)
	l.boolean(false)
	l.unset()
	if p.tls12 && len(p.prof.alpn) > 0 {
		l.str(p.prof.alpn[0])
	} else {
		l.unset()
	}
	l.boolean(true)
	if p.tls12 {
		l.str("CsxknGIi")
		l.line = append(l.line, '\t')
		l.line = append(l.line, p.cert.sha256...)
		if p.chain != nil {
			l.line = append(l.line, ',')
			l.line = append(l.line, p.chain.sha256...)
		}
		l.str("(empty)")
		l.boolean(true)
		if p.cert.subject == p.cert.issuer {
			l.str("self signed certificate")
		} else {
			l.str("ok")
		}
	} else {
		l.str("CsiI")
		l.unset()
		l.unset()
		l.unset()
		l.unset()
	}
	l.str(p.prof.ja3)
	l.str(sh.ja3s)
	l.str(p.prof.ja4)
	l.end()
	if p.tls12 && p.logCerts {
		g.writeX509(p.ts+2100, p.cert, true)
		if p.chain != nil {
			g.writeX509(p.ts+2100, p.chain, false)
		}
	}
	if g.pcap != nil && g.wantPacket(g.truthPending) {
		var random [32]byte
		binary.LittleEndian.PutUint64(random[:], g.r.Uint64())
		binary.LittleEndian.PutUint64(random[8:], g.r.Uint64())
		g.pcap.tcp(p.ts, p.src, c.sport, p.dst, p.dport, p.prof.build(p.sni, random, byte(g.r.Uint32())))
	}
	return c.uid
}

func (g *gen) writeX509(ts int64, c *certificate, host bool) {
	l := g.x509
	l.begin(ts)
	l.str(c.sha256)
	l.count(3)
	l.str(c.serial)
	l.str(c.subject)
	l.str(c.issuer)
	l.time(c.notBefore)
	l.time(c.notAft)
	l.str("rsaEncryption")
	l.str("sha256WithRSAEncryption")
	l.str("rsa")
	l.count(2048)
	l.str("65537")
	l.unset()
	l.str(c.san)
	l.unset()
	l.unset()
	l.unset()
	l.boolean(c.ca)
	l.unset()
	l.boolean(host)
	l.boolean(false)
	l.end()
}

// httpParams describe one HTTP request and its response.
type httpParams struct {
	ts                int64
	src, dst          netip.Addr
	method, host, uri string
	referrer          string
	ua                string
	reqLen            uint64
	status            int
	statusMsg         string
	respLen           uint64
	mime              string
	file              *fileRec // response body logged in files.log, or nil
}

type fileRec struct {
	fuid, name, mime  string
	md5, sha1, sha256 string
	size              uint64
}

// httpSession writes conn, http and files records and returns the conn uid.
func (g *gen) httpSession(p *httpParams) string {
	c := g.tcpConn(p.ts, p.src, p.dst, 80, "http", int64(50000+g.r.IntN(400000))+int64(p.respLen/20), 200+p.reqLen, 300+p.respLen)
	g.writeConn(&c)
	l := g.http
	l.begin(p.ts + 1500)
	l.str(c.uid)
	l.addr(p.src)
	l.count(uint64(c.sport))
	l.addr(p.dst)
	l.count(80)
	l.count(1)
	l.str(p.method)
	l.str(p.host)
	l.str(p.uri)
	l.str(p.referrer)
	l.str("1.1")
	l.str(p.ua)
	l.unset()
	l.count(p.reqLen)
	l.count(p.respLen)
	l.count(uint64(p.status))
	l.str(p.statusMsg)
	l.unset()
	l.unset()
	l.str("(empty)")
	l.unset()
	l.unset()
	l.unset()
	l.unset()
	l.unset()
	l.unset()
	if p.file != nil {
		l.str(p.file.fuid)
		if p.file.name != "" {
			l.str(p.file.name)
		} else {
			l.unset()
		}
		l.str(p.file.mime)
	} else {
		l.unset()
		l.unset()
		l.unset()
	}
	l.end()
	if p.file != nil {
		f := g.files
		f.begin(p.ts + 1600)
		f.str(p.file.fuid)
		f.str(c.uid)
		f.addr(p.src)
		f.count(uint64(c.sport))
		f.addr(p.dst)
		f.count(80)
		f.str("HTTP")
		f.count(0)
		f.str("MD5,SHA1,SHA256")
		f.str(p.file.mime)
		f.str(p.file.name)
		f.interval(int64(p.file.size / 50))
		f.boolean(false)
		f.boolean(false)
		f.count(p.file.size)
		f.count(p.file.size)
		f.count(0)
		f.count(0)
		f.boolean(false)
		f.unset()
		f.str(p.file.md5)
		f.str(p.file.sha1)
		f.str(p.file.sha256)
		f.unset()
		f.unset()
		f.unset()
		f.end()
	}
	if g.pcap != nil && g.wantPacket(g.truthPending) {
		req := p.method + " " + p.uri + " HTTP/1.1\r\nHost: " + p.host + "\r\nUser-Agent: " + p.ua + "\r\nAccept: */*\r\n"
		if p.reqLen > 0 {
			req += "Content-Length: " + strconv.FormatUint(p.reqLen, 10) + "\r\n"
		}
		req += "Connection: keep-alive\r\n\r\n"
		g.pcap.tcp(p.ts, p.src, c.sport, p.dst, 80, []byte(req))
	}
	return c.uid
}

// wantPacket decides whether a session also goes into the pcap: every
// malicious one, and a thinning sample of the background.
func (g *gen) wantPacket(malicious bool) bool {
	if malicious {
		return true
	}
	if g.pcapBudget <= 0 || g.r.IntN(100) != 0 {
		return false
	}
	g.pcapBudget--
	return true
}

// fakeFile makes the hashes of a background download from its fuid.
func fakeFile(fuid, name, mime string, size uint64) *fileRec {
	md5h, sha1h, sha256h := hashes([]byte(fuid))
	return &fileRec{fuid: fuid, name: name, mime: mime, md5: md5h, sha1: sha1h, sha256: sha256h, size: size}
}

// writeTruth appends one line to truth.jsonl.
func (g *gen) writeTruth(uid, log, kind, indicator string, ts int64) {
	b, _ := json.Marshal(Truth{UID: uid, Log: log, Kind: kind, Actor: Actor, Indicator: indicator,
		Time: time.UnixMicro(ts).UTC().Format(time.RFC3339Nano)})
	g.truth.Write(b)
	g.truth.WriteByte('\n')
	g.truthLines++
}
