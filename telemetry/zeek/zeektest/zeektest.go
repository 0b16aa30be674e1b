// Package zeektest writes synthetic but realistic Zeek logs, for
// benchmarks and load tests of the Zeek decoder and of the stages after
// it. The logs have the stock conn.log and dns.log columns of Zeek 6 with
// community_id, and values drawn the way a busy sensor sees them: mostly
// internal clients, many external servers, a mix of services and states.
package zeektest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

const header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t%s\n#open\t2018-05-24-12-00-00\n#fields\t%s\n#types\t%s\n"

const connFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id"
const connTypes = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring"

const dnsFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected"
const dnsTypes = "time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool"

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const b64 = alnum + "+/"

type gen struct {
	rng *rand.Rand
	w   *bufio.Writer
	ts  float64
	buf []byte
}

func newGen(w io.Writer, seed uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), w: bufio.NewWriterSize(w, 1<<20), ts: 1527163200}
}

func (g *gen) field(s string) { g.buf = append(g.buf, s...); g.buf = append(g.buf, '\t') }

func (g *gen) uint(n uint64) {
	g.buf = strconv.AppendUint(g.buf, n, 10)
	g.buf = append(g.buf, '\t')
}

func (g *gen) random(prefix byte, n int, alphabet string) {
	if prefix != 0 {
		g.buf = append(g.buf, prefix)
	}
	for i := 0; i < n; i++ {
		g.buf = append(g.buf, alphabet[g.rng.IntN(len(alphabet))])
	}
	g.buf = append(g.buf, '\t')
}

func (g *gen) internalIP() {
	g.buf = fmt.Appendf(g.buf, "10.%d.%d.%d\t", g.rng.IntN(4), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *gen) externalIP() {
	if g.rng.IntN(10) == 0 {
		g.buf = fmt.Appendf(g.buf, "2001:db8:%x:%x::%x\t", g.rng.IntN(65536), g.rng.IntN(65536), 1+g.rng.IntN(65535))
		return
	}
	g.buf = fmt.Appendf(g.buf, "%d.%d.%d.%d\t", 1+g.rng.IntN(223), g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

func (g *gen) time() {
	g.ts += g.rng.Float64() * 0.01
	g.buf = strconv.AppendFloat(g.buf, g.ts, 'f', 6, 64)
	g.buf = append(g.buf, '\t')
}

func (g *gen) end() error {
	g.buf[len(g.buf)-1] = '\n'
	_, err := g.w.Write(g.buf)
	g.buf = g.buf[:0]
	return err
}

// ConnLog writes a conn.log with header and the given number of records;
// the same seed gives the same log.
func ConnLog(w io.Writer, records int, seed uint64) error {
	g := newGen(w, seed)
	fmt.Fprintf(g.w, header, "conn", connFields, connTypes)
	services := []string{"ssl", "dns", "http", "-", "ssl", "ssl", "-", "smtp", "ssh"}
	states := []string{"SF", "SF", "SF", "S0", "REJ", "RSTO", "OTH", "SH"}
	histories := []string{"ShADadFf", "ShADadfF", "Dd", "S", "Sr", "ShADadR", "D", "ShAdDaFf"}
	for i := 0; i < records; i++ {
		g.time()
		g.random('C', 17, alnum)
		g.internalIP()
		g.uint(uint64(1024 + g.rng.IntN(64511)))
		g.externalIP()
		svc := services[g.rng.IntN(len(services))]
		proto := "tcp"
		switch svc {
		case "dns":
			proto = "udp"
			g.uint(53)
		case "http":
			g.uint(80)
		case "smtp":
			g.uint(25)
		case "ssh":
			g.uint(22)
		default:
			g.uint(443)
		}
		g.field(proto)
		g.field(svc)
		if g.rng.IntN(5) == 0 {
			g.field("-")
			g.field("-")
			g.field("-")
		} else {
			g.buf = strconv.AppendFloat(g.buf, g.rng.Float64()*30, 'f', 6, 64)
			g.buf = append(g.buf, '\t')
			g.uint(uint64(g.rng.IntN(20000)))
			g.uint(uint64(g.rng.IntN(2000000)))
		}
		g.field(states[g.rng.IntN(len(states))])
		g.field("T")
		g.field("F")
		g.uint(0)
		g.field(histories[g.rng.IntN(len(histories))])
		for j := 0; j < 4; j++ {
			g.uint(uint64(g.rng.IntN(5000)))
		}
		g.field("(empty)")
		g.buf = append(g.buf, "1:"...) // a base64 SHA-1, as Zeek's community-id plugin writes it
		g.random(0, 28, b64)
		g.buf[len(g.buf)-2] = '='
		if err := g.end(); err != nil {
			return err
		}
	}
	fmt.Fprintf(g.w, "#close\t2018-05-24-13-00-00\n")
	return g.w.Flush()
}

// DNSLog writes a dns.log with header and the given number of records.
func DNSLog(w io.Writer, records int, seed uint64) error {
	g := newGen(w, seed)
	fmt.Fprintf(g.w, header, "dns", dnsFields, dnsTypes)
	zones := []string{"microsoft.com", "google.com", "windowsupdate.com", "akamaiedge.net", "cloudfront.net", "kr-anti.example", "github.com", "office365.com"}
	for i := 0; i < records; i++ {
		g.time()
		g.random('C', 17, alnum)
		g.internalIP()
		g.uint(uint64(1024 + g.rng.IntN(64511)))
		g.field("10.0.0.53")
		g.uint(53)
		g.field("udp")
		g.uint(uint64(g.rng.IntN(65536)))
		g.buf = strconv.AppendFloat(g.buf, g.rng.Float64()*0.1, 'f', 6, 64)
		g.buf = append(g.buf, '\t')
		zone := zones[g.rng.IntN(len(zones))]
		for j := 0; j < 1+g.rng.IntN(3); j++ {
			for k := 0; k < 3+g.rng.IntN(8); k++ {
				g.buf = append(g.buf, alnum[26+g.rng.IntN(36)])
			}
			g.buf = append(g.buf, '.')
		}
		g.field(zone)
		g.uint(1)
		g.field("C_INTERNET")
		if g.rng.IntN(4) == 0 {
			g.uint(28)
			g.field("AAAA")
		} else {
			g.uint(1)
			g.field("A")
		}
		nx := g.rng.IntN(10) == 0
		if nx {
			g.uint(3)
			g.field("NXDOMAIN")
		} else {
			g.uint(0)
			g.field("NOERROR")
		}
		g.field("F")
		g.field("F")
		g.field("T")
		g.field("T")
		g.uint(0)
		if nx {
			g.field("-")
			g.field("-")
		} else {
			n := 1 + g.rng.IntN(4)
			g.buf = append(g.buf, "edge."...)
			g.buf = append(g.buf, zone...)
			for j := 1; j < n; j++ {
				g.buf = fmt.Appendf(g.buf, ",%d.%d.%d.%d", 1+g.rng.IntN(223), g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
			}
			g.buf = append(g.buf, '\t')
			for j := 0; j < n; j++ {
				if j > 0 {
					g.buf = append(g.buf, ',')
				}
				g.buf = append(g.buf, "300.000000"...)
			}
			g.buf = append(g.buf, '\t')
		}
		g.field("F")
		if err := g.end(); err != nil {
			return err
		}
	}
	fmt.Fprintf(g.w, "#close\t2018-05-24-13-00-00\n")
	return g.w.Flush()
}
