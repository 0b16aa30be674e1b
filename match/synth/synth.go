// Package synth generates realistic, reproducible indicator sets and
// mostly-benign event streams for the matcher's benchmarks and the
// match-vs-grep harness. Nothing here is real intelligence.
package synth

import (
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Mix says how many indicators of each family to generate.
type Mix struct {
	IPv4, IPv6, CIDRs int
	Domains           int
	MD5, SHA1, SHA256 int
	URLs, Others      int // others: e-mails, serials, JA3, JA4, user-agents, cookies, file names
}

// Million is the benchmark mix of the matcher's performance target:
// 400k addresses + 50k CIDR blocks, 400k domains, 100k hashes, 50k URLs and
// other types.
var Million = Mix{IPv4: 300_000, IPv6: 100_000, CIDRs: 50_000, Domains: 400_000,
	MD5: 40_000, SHA1: 20_000, SHA256: 40_000, URLs: 30_000, Others: 20_000}

// Scale returns m with every count divided by d, for quick tests.
func (m Mix) Scale(d int) Mix {
	return Mix{m.IPv4 / d, m.IPv6 / d, m.CIDRs / d, m.Domains / d, m.MD5 / d, m.SHA1 / d, m.SHA256 / d, m.URLs / d, m.Others / d}
}

var (
	tlds    = []string{"com", "com", "com", "net", "org", "info", "ru", "cn", "xyz", "top", "pw", "co.uk", "com.au", "io", "biz", "tk", "de", "jp"}
	sources = []string{"401trg", "abuse.ch", "alienvault", "misp-circl", "internal", "mandiant", "crowdstrike", "eset",
		"kaspersky", "talos", "unit42", "proofpoint", "recordedfuture", "shadowserver", "spamhaus", "urlhaus", "threatfox", "feodo", "emerging", "sans"}
	actors = []string{"Winnti umbrella", "APT17", "Axiom", "BARIUM", "LEAD", "Wicked Panda", "GREF", "PassCV", "APT41", "APT3",
		"APT10", "APT1", "Turla", "Sofacy", "Lazarus", "Kimsuky", "OceanLotus", "MuddyWater", "FIN7", "TA505"}
	syllables = []string{"ka", "lo", "mi", "ne", "so", "ta", "ru", "vi", "ze", "po", "ga", "do", "li", "an", "el", "or",
		"up", "ix", "net", "web", "cdn", "app", "sec", "upd", "mail", "soft", "dat", "img", "api", "go", "my", "on"}
	agents = []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
		"Microsoft-CryptoAPI/10.0", "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50", "curl/8.5.0"}
)

// gen wraps the random source with the value shapes the package needs.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g gen) label() string {
	n := 2 + g.r.IntN(4)
	var b strings.Builder
	for range n {
		b.WriteString(syllables[g.r.IntN(len(syllables))])
	}
	if g.r.IntN(2) == 0 {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	if g.r.IntN(8) == 0 {
		b.WriteByte('-')
		b.WriteString(syllables[g.r.IntN(len(syllables))])
	}
	return b.String()
}

// domain returns a registered-looking name: one or two labels under a TLD.
func (g gen) domain() string {
	name := g.label() + "." + tlds[g.r.IntN(len(tlds))]
	if g.r.IntN(4) == 0 {
		name = g.label() + "." + name
	}
	return name
}

// publicV4 returns a random globally routable-looking IPv4 address.
func (g gen) publicV4() netip.Addr {
	for {
		v := g.r.Uint32()
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		if a.IsGlobalUnicast() && !a.IsPrivate() && v>>24 < 224 {
			return a
		}
	}
}

func (g gen) publicV6() netip.Addr {
	var b [16]byte
	b[0], b[1] = 0x20, byte(0x01+g.r.IntN(0x0f))
	for i := 2; i < 16; i++ {
		b[i] = byte(g.r.Uint32())
	}
	return netip.AddrFrom16(b)
}

func (g gen) hexString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return hex.EncodeToString(b)
}

func (g gen) id() string {
	h := g.hexString(16)
	return "indicator--" + h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

func (g gen) provenance(in *indicator.Indicator) {
	in.IDs = []string{g.id()}
	in.Sources = []string{sources[g.r.IntN(len(sources))]}
	if g.r.IntN(10) < 6 {
		in.Actors = []indicator.Actor{{Name: actors[g.r.IntN(len(actors))], Confidence: 30 + g.r.IntN(70)}}
	}
}

// Indicators generates the mix with provenance (one STIX id, one source,
// an actor for 60%), deterministically from seed.
func Indicators(m Mix, seed uint64) []indicator.Indicator {
	g := newGen(seed)
	total := m.IPv4 + m.IPv6 + m.CIDRs + m.Domains + m.MD5 + m.SHA1 + m.SHA256 + m.URLs + m.Others
	out := make([]indicator.Indicator, 0, total)
	add := func(t indicator.Type, v string, sub bool) {
		in := indicator.Indicator{Type: t, Value: v, Subdomains: sub}
		g.provenance(&in)
		out = append(out, in)
	}
	for range m.IPv4 {
		add(indicator.IPv4, g.publicV4().String(), false)
	}
	for range m.IPv6 {
		add(indicator.IPv6, g.publicV6().String(), false)
	}
	for i := range m.CIDRs {
		if i%10 == 9 {
			add(indicator.CIDR, netip.PrefixFrom(g.publicV6(), 32+g.r.IntN(33)).Masked().String(), false)
			continue
		}
		// Mostly /24 and longer, as blocklists are; a few wide blocks.
		// Together they cover about 0.5% of the IPv4 space, so benign
		// traffic hits them about as often as it does in practice.
		var bits int
		switch p := g.r.IntN(1000); {
		case p < 2:
			bits = 16
		case p < 22:
			bits = 20
		case p < 102:
			bits = 22
		case p < 702:
			bits = 24
		default:
			bits = 25 + g.r.IntN(6)
		}
		add(indicator.CIDR, netip.PrefixFrom(g.publicV4(), bits).Masked().String(), false)
	}
	for range m.Domains {
		add(indicator.Domain, g.domain(), g.r.IntN(10) < 7)
	}
	for range m.MD5 {
		add(indicator.MD5, g.hexString(16), false)
	}
	for range m.SHA1 {
		add(indicator.SHA1, g.hexString(20), false)
	}
	for range m.SHA256 {
		add(indicator.SHA256, g.hexString(32), false)
	}
	for range m.URLs {
		add(indicator.URL, "http://"+g.domain()+"/"+g.label()+"/"+g.label()+".php", false)
	}
	for i := range m.Others {
		switch i % 8 {
		case 0:
			add(indicator.Email, g.label()+"@"+g.domain(), false)
		case 1:
			add(indicator.CertSerial, strings.ToUpper(strings.TrimLeft(g.hexString(16), "0")), false)
		case 2:
			add(indicator.JA3, g.hexString(16), false)
		case 3:
			add(indicator.JA4, "t13d1516h2_"+g.hexString(6)+"_"+g.hexString(6), false)
		case 4:
			add(indicator.CertSHA1, g.hexString(20), false)
		case 5:
			add(indicator.UserAgent, "Mozilla/4.0 (compatible; MSIE 6.0; "+g.label()+")", false)
		case 6:
			add(indicator.Cookie, g.label()+"_sid", false)
		default:
			add(indicator.FileName, g.label()+".exe", false)
		}
	}
	return out
}

// Events generates n normalised events shaped like a sensor's logs: 60%
// conn, 25% dns, 10% http, 5% tls. About hitRate of them carry one
// indicator value from inds (an address, an address inside a CIDR block, a
// subdomain of a domain, a URL, a digest); the rest are benign, though a
// benign public address may still fall into a generated CIDR block.
func Events(inds []indicator.Indicator, n int, hitRate float64, seed uint64) []event.Event {
	g := newGen(seed)
	benign := make([]string, 5000)
	for i := range benign {
		// No syllable starts with "b", so a registered name starting with
		// "b" is never an indicator and benign names stay benign.
		benign[i] = g.label() + ".b" + g.label() + "." + tlds[g.r.IntN(len(tlds))]
	}
	resolvers := []netip.Addr{netip.MustParseAddr("10.0.0.53"), netip.MustParseAddr("10.0.1.53")}
	start := time.Date(2018, 3, 24, 17, 0, 0, 0, time.UTC)
	out := make([]event.Event, n)
	for i := range out {
		ev := &out[i]
		ev.Time = start.Add(time.Duration(i) * time.Millisecond)
		ev.Sensor = "zeek"
		ev.UID = "C" + g.hexString(8)
		ev.SrcIP = netip.AddrFrom4([4]byte{10, byte(g.r.IntN(4)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))})
		ev.SrcPort = uint16(32768 + g.r.IntN(28000))
		switch p := g.r.IntN(100); {
		case p < 60:
			ev.Kind = event.KindConn
			ev.Proto = 6
			ev.DstIP = g.publicV4()
			ev.DstPort = 443
		case p < 85:
			ev.Kind = event.KindDNS
			ev.Proto = 17
			ev.DstIP = resolvers[g.r.IntN(2)]
			ev.DstPort = 53
			ev.Domain = benign[g.r.IntN(len(benign))]
			ev.Answers = []netip.Addr{g.publicV4()}
		case p < 95:
			ev.Kind = event.KindHTTP
			ev.Proto = 6
			ev.DstIP = g.publicV4()
			ev.DstPort = 80
			ev.Host = benign[g.r.IntN(len(benign))]
			ev.URI = "/" + g.label() + "/index.html"
			ev.URL = "http://" + ev.Host + ev.URI
			ev.UserAgent = agents[g.r.IntN(len(agents))]
		default:
			ev.Kind = event.KindTLS
			ev.Proto = 6
			ev.DstIP = g.publicV4()
			ev.DstPort = 443
			ev.SNI = benign[g.r.IntN(len(benign))]
			ev.JA3 = g.hexString(16)
		}
		if g.r.Float64() < hitRate && len(inds) > 0 {
			plant(g, ev, &inds[g.r.IntN(len(inds))])
		}
	}
	return out
}

// plant puts the value of in into ev the way real traffic would carry it.
func plant(g gen, ev *event.Event, in *indicator.Indicator) {
	*ev = event.Event{Time: ev.Time, Sensor: ev.Sensor, UID: ev.UID, Kind: event.KindConn, Proto: 6,
		SrcIP: ev.SrcIP, SrcPort: ev.SrcPort, DstIP: netip.AddrFrom4([4]byte{10, 0, 0, 53}), DstPort: 443}
	switch in.Type {
	case indicator.IPv4, indicator.IPv6:
		ev.DstIP = netip.MustParseAddr(in.Value)
	case indicator.CIDR:
		p := netip.MustParsePrefix(in.Value)
		b := p.Addr().AsSlice()
		for i := (p.Bits() + 7) / 8; i < len(b); i++ {
			b[i] = byte(g.r.Uint32())
		}
		a, _ := netip.AddrFromSlice(b)
		if p.Contains(a) {
			ev.DstIP = a
		} else {
			ev.DstIP = p.Addr()
		}
	case indicator.Domain:
		ev.Kind = event.KindDNS
		ev.Domain = in.Value
		if in.Subdomains {
			ev.Domain = "www." + in.Value
		}
	case indicator.URL:
		ev.Kind = event.KindHTTP
		ev.URL = in.Value
	case indicator.MD5:
		ev.Kind = event.KindFile
		ev.MD5 = in.Value
	case indicator.SHA1:
		ev.Kind = event.KindFile
		ev.SHA1 = in.Value
	case indicator.SHA256:
		ev.Kind = event.KindFile
		ev.SHA256 = in.Value
	case indicator.JA3:
		ev.Kind = event.KindTLS
		ev.JA3 = in.Value
	case indicator.UserAgent:
		ev.Kind = event.KindHTTP
		ev.UserAgent = in.Value
	default:
		ev.Kind = event.KindDNS
		ev.Domain = "www.example.org"
	}
}
