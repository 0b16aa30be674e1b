// Command matchgen writes the input of bench/match-vs-grep.sh: Zeek 6
// conn.log and dns.log files from match/synth's mostly-benign traffic
// (about 1% of events carry an indicator: an exact address, an address
// inside a CIDR block, or a subdomain of a domain), and indicators.txt,
// one value per line, as `grep -F -f` and bench/matchzeek both read it.
//
//	go run ./bench/matchgen -out DIR -events 1000000 -scale 1
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/telemetry/event"
)

const connHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2018-03-24-17-00-00\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"

const dnsHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#open\t2018-03-24-17-00-00\n" +
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n" +
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n"

func main() {
	out := flag.String("out", ".", "output directory")
	events := flag.Int("events", 1_000_000, "events (every one has a conn.log line, DNS ones a dns.log line too)")
	scale := flag.Int("scale", 1, "divide the 1M-indicator mix by this")
	hitRate := flag.Float64("hits", 0.01, "fraction of events that carry an indicator")
	flag.Parse()

	inds := synth.Indicators(synth.Million.Scale(*scale), 1)
	if err := writeLines(filepath.Join(*out, "indicators.txt"), func(w *bufio.Writer) {
		for _, in := range inds {
			w.WriteString(in.Value)
			w.WriteByte('\n')
		}
	}); err != nil {
		log.Fatal(err)
	}
	evs := synth.Events(inds, *events, *hitRate, 2)
	if err := writeLines(filepath.Join(*out, "conn.log"), func(w *bufio.Writer) {
		w.WriteString(connHeader)
		for i := range evs {
			conn(w, &evs[i])
		}
		w.WriteString("#close\t2018-03-24-18-00-00\n")
	}); err != nil {
		log.Fatal(err)
	}
	if err := writeLines(filepath.Join(*out, "dns.log"), func(w *bufio.Writer) {
		w.WriteString(dnsHeader)
		for i := range evs {
			if evs[i].Kind == event.KindDNS {
				dns(w, &evs[i])
			}
		}
		w.WriteString("#close\t2018-03-24-18-00-00\n")
	}); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "matchgen: %d indicators, %d events in %s\n", len(inds), len(evs), *out)
}

func writeLines(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

func ts(ev *event.Event) string {
	return strconv.FormatFloat(float64(ev.Time.UnixMicro())/1e6, 'f', 6, 64)
}

func proto(ev *event.Event) string {
	if ev.Proto == 17 || ev.Kind == event.KindDNS {
		return "udp"
	}
	return "tcp"
}

func conn(w *bufio.Writer, ev *event.Event) {
	service := map[event.Kind]string{event.KindDNS: "dns", event.KindHTTP: "http", event.KindTLS: "ssl"}[ev.Kind]
	if service == "" {
		service = "-"
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t0.081233\t512\t4096\tSF\tT\tF\t0\tShADadFf\t8\t932\t9\t4568\t-\n",
		ts(ev), ev.UID, ev.SrcIP, ev.SrcPort, ev.DstIP, ev.DstPort, proto(ev), service)
}

func dns(w *bufio.Writer, ev *event.Event) {
	answers, ttls := "-", "-"
	if len(ev.Answers) > 0 {
		var a, t []string
		for _, x := range ev.Answers {
			a = append(a, x.String())
			t = append(t, "300.000000")
		}
		answers, ttls = strings.Join(a, ","), strings.Join(t, ",")
	}
	qtype, qname := 1, "A"
	if len(ev.Answers) > 0 && ev.Answers[0].Is6() {
		qtype, qname = 28, "AAAA"
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t53\tudp\t%d\t0.012000\t%s\t1\tC_INTERNET\t%d\t%s\t0\tNOERROR\tF\tF\tT\tT\t0\t%s\t%s\tF\n",
		ts(ev), ev.UID, ev.SrcIP, ev.SrcPort, orResolver(ev.DstIP), ev.SrcPort, ev.Domain, qtype, qname, answers, ttls)
}

func orResolver(a netip.Addr) netip.Addr {
	if a.IsValid() {
		return a
	}
	return netip.MustParseAddr("10.0.0.53")
}
