package memory

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// traffic generates realistic telemetry of a mid-size office: a few hundred
// internal hosts, destinations and domains with Zipf popularity, and per
// flow a conn event plus the dns, ssl or http event Zeek would log beside
// it under the same uid. Times have Zeek's microsecond precision.
type traffic struct {
	r       *rand.Rand
	now     time.Time
	hosts   []netip.Addr
	ext     []netip.Addr
	domains []string
	dstZipf *rand.Zipf
	domZipf *rand.Zipf
	queue   []event.Event
	ja3     []string
	ua      []string
	resolv  netip.Addr
}

func newTraffic(seed uint64, start time.Time) *traffic {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := &traffic{r: r, now: start, resolv: netip.MustParseAddr("10.0.0.53")}
	for i := range 400 {
		t.hosts = append(t.hosts, netip.AddrFrom4([4]byte{10, 0, byte(1 + i/250), byte(1 + i%250)}))
	}
	for range 20000 {
		t.ext = append(t.ext, netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))}))
	}
	tlds := []string{"com", "net", "org", "io", "de", "co.uk", "cn"}
	for i := range 8000 {
		sub := []string{"www", "api", "cdn", "login", "static", "mail", ""}[r.IntN(7)]
		d := fmt.Sprintf("%s%d.%s", word(r), i, tlds[r.IntN(len(tlds))])
		if sub != "" {
			d = sub + "." + d
		}
		t.domains = append(t.domains, d)
	}
	t.dstZipf = rand.NewZipf(r, 1.1, 4, uint64(len(t.ext)-1))
	t.domZipf = rand.NewZipf(r, 1.1, 4, uint64(len(t.domains)-1))
	for range 12 {
		t.ja3 = append(t.ja3, hexString(r, 16))
	}
	t.ua = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Microsoft-CryptoAPI/10.0", "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.33", "curl/8.5.0",
	}
	return t
}

func word(r *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	for range 4 + r.IntN(6) {
		b.WriteByte(letters[r.IntN(len(letters))])
	}
	return b.String()
}

func hexString(r *rand.Rand, nbytes int) string {
	const hexdig = "0123456789abcdef"
	b := make([]byte, 2*nbytes)
	for i := range b {
		b[i] = hexdig[r.IntN(16)]
	}
	return string(b)
}

func (t *traffic) uid() string {
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b [18]byte
	b[0] = 'C'
	for i := 1; i < len(b); i++ {
		b[i] = b62[t.r.IntN(62)]
	}
	return string(b[:])
}

// domainAddr is the stable address a domain resolves to.
func (t *traffic) domainAddr(i uint64) netip.Addr { return t.ext[(i*7919)%uint64(len(t.ext))] }

// next fills e with the next event.
func (t *traffic) next(e *event.Event) {
	if len(t.queue) > 0 {
		*e = t.queue[len(t.queue)-1]
		t.queue = t.queue[:len(t.queue)-1]
		return
	}
	r := t.r
	// About 3,000 events a second: a busy office network.
	t.now = t.now.Add(time.Duration(r.ExpFloat64()*330) * time.Microsecond)
	e.Reset()
	e.Time = t.now.Truncate(time.Microsecond)
	e.Sensor = "zeek"
	e.UID = t.uid()
	e.Kind = event.KindConn
	e.SrcIP = t.hosts[r.IntN(len(t.hosts))]
	e.SrcPort = uint16(32768 + r.IntN(28232))
	e.Proto = 6
	e.OrigBytes = uint64(math.Exp(r.NormFloat64()*1.5 + 6))
	e.RespBytes = uint64(math.Exp(r.NormFloat64()*2 + 8))
	switch p := r.IntN(100); {
	case p < 25: // DNS
		e.Proto, e.DstIP, e.DstPort = 17, t.resolv, 53
		e.OrigBytes, e.RespBytes = uint64(30+r.IntN(40)), uint64(60+r.IntN(200))
		d := t.domZipf.Uint64()
		q := *e
		q.Kind = event.KindDNS
		q.OrigBytes, q.RespBytes = 0, 0
		q.Domain = t.domains[d]
		q.Answers = []netip.Addr{t.domainAddr(d)}
		if d%3 == 0 {
			q.Answers = append(q.Answers, t.domainAddr(d+1))
		}
		t.queue = append(t.queue, q)
	case p < 70: // TLS
		d := t.domZipf.Uint64()
		e.DstIP, e.DstPort = t.domainAddr(d), 443
		q := *e
		q.Kind = event.KindTLS
		q.OrigBytes, q.RespBytes = 0, 0
		q.SNI = t.domains[d]
		q.JA3 = t.ja3[int(d)%len(t.ja3)]
		q.JA3S = t.ja3[(int(d)+5)%len(t.ja3)]
		q.ALPN = []string{"h2", "http/1.1"}
		t.queue = append(t.queue, q)
	case p < 80: // HTTP
		d := t.domZipf.Uint64()
		e.DstIP, e.DstPort = t.domainAddr(d), 80
		q := *e
		q.Kind = event.KindHTTP
		q.OrigBytes, q.RespBytes = 0, 0
		q.Host = t.domains[d]
		q.URI = []string{"/", "/favicon.ico", "/index.html", "/update/check?v=2", "/api/v1/status"}[r.IntN(5)]
		q.URL = "http://" + q.Host + q.URI
		q.UserAgent = t.ua[r.IntN(len(t.ua))]
		t.queue = append(t.queue, q)
	default: // other connections
		e.DstIP = t.ext[t.dstZipf.Uint64()]
		e.DstPort = []uint16{443, 80, 22, 123, 3389, 8080}[r.IntN(6)]
		if e.DstPort == 123 {
			e.Proto = 17
		}
	}
}

// writeTSV writes e the way Zeek's ASCII writer would, with only the
// columns the Event holds: the fairest TSV to compare our bytes against.
func writeTSV(w *bufio.Writer, e *event.Event) {
	ts := fmt.Sprintf("%d.%06d", e.Time.Unix(), e.Time.Nanosecond()/1000)
	proto := map[uint8]string{6: "tcp", 17: "udp", 1: "icmp"}[e.Proto]
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%s", ts, e.UID, e.SrcIP, e.SrcPort, e.DstIP, e.DstPort, proto)
	switch e.Kind {
	case event.KindConn:
		fmt.Fprintf(w, "\t%d\t%d", e.OrigBytes, e.RespBytes)
	case event.KindDNS:
		ans := make([]string, len(e.Answers))
		for i, a := range e.Answers {
			ans[i] = a.String()
		}
		fmt.Fprintf(w, "\t%s\t%s", e.Domain, strings.Join(ans, ","))
	case event.KindTLS:
		fmt.Fprintf(w, "\t%s\t%s\t%s\t%s", e.SNI, strings.Join(e.ALPN, ","), e.JA3, e.JA3S)
	case event.KindHTTP:
		fmt.Fprintf(w, "\t%s\t%s\t%s", e.Host, e.URI, dash(e.UserAgent))
	}
	w.WriteByte('\n')
}

// countingWriter counts bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
