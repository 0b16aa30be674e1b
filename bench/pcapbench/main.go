// Command pcapbench generates a synthetic capture and extracts from it the
// fields tshark prints with
//
//	tshark -r FILE -T fields -e dns.qry.name -e tls.handshake.extensions_server_name -e http.host -e tls.handshake.ja3
//
// so that bench/pcap-vs-tshark.sh can time umbra's pcap reader against
// tshark on the same file and check that both found the same values.
//
//	pcapbench gen -n 10000 -o mix.pcap
//	pcapbench extract mix.pcap > fields.tsv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap"
	"github.com/umbra-cti/umbra/telemetry/pcap/synth"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pcapbench gen -n CONNS -o FILE | pcapbench extract FILE")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		n := fs.Int("n", 10000, "connections to write")
		out := fs.String("o", "mix.pcap", "output file")
		fs.Parse(os.Args[2:])
		err = gen(*n, *out)
	case "extract":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: pcapbench extract FILE")
			break
		}
		err = extract(os.Args[2], os.Stdout)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pcapbench:", err)
		os.Exit(1)
	}
}

func gen(n int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := synth.NewWriter(bw, synth.Ethernet)
	if err != nil {
		return err
	}
	if err := synth.Mix(w, n); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// extract prints one line per DNS, TLS and HTTP event in tshark's column
// order: query name, SNI, HTTP host, JA3.
func extract(path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := pcap.NewReader(f, path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<16)
	start := time.Now()
	var e event.Event
	for {
		err := r.Next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e.Kind {
		case event.KindDNS:
			fmt.Fprintf(bw, "%s\t\t\t\n", e.Domain)
		case event.KindTLS:
			fmt.Fprintf(bw, "\t%s\t\t%s\n", e.SNI, e.JA3)
		case event.KindHTTP:
			fmt.Fprintf(bw, "\t\t%s\t\n", e.Host)
		}
	}
	st := r.Stats()
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "umbra: %d packets, %d events, %d skipped in %v (%.0f packets/s)\n",
		st.Packets, st.Events, st.SkippedTotal(), el.Round(time.Millisecond), float64(st.Packets)/el.Seconds())
	return bw.Flush()
}
