// Command matchzeek is umbra's side of bench/match-vs-grep.sh: it compiles
// indicators.txt (one value per line, the file grep -F -f reads) into a
// match.Snapshot, decodes Zeek logs with telemetry/zeek, matches every
// event and writes one JSON alert line per hit.
//
// A value's type is inferred from its spelling: an address, a CIDR block,
// a URL, an e-mail address, a hex digest by length, otherwise a domain,
// which also matches its subdomains.
//
//	go run ./bench/matchzeek -i indicators.txt -o alerts.jsonl conn.log dns.log
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
	"github.com/umbra-cti/umbra/telemetry/zeek"
)

func main() {
	indPath := flag.String("i", "indicators.txt", "indicator values, one per line")
	outPath := flag.String("o", "-", "alerts (JSON lines); - for stdout")
	flag.Parse()

	start := time.Now()
	inds, err := readIndicators(*indPath)
	if err != nil {
		log.Fatal(err)
	}
	snap, rejects := match.Build(inds, nil)
	for i, r := range rejects {
		if i == 5 {
			log.Printf("... and %d more rejects", len(rejects)-5)
			break
		}
		log.Printf("%s: %v", *indPath, r)
	}
	built := time.Since(start)
	// Building leaves garbage behind a heap of the snapshot's size; collect
	// it here so that the decode+match figure below is the steady state,
	// not one full-heap collection amortised over a short input.
	runtime.GC()
	matchStart, matchCPU := time.Now(), cputime.Self()
	var logBytes int64

	out := os.Stdout
	if *outPath != "-" {
		if out, err = os.Create(*outPath); err != nil {
			log.Fatal(err)
		}
	}
	w := match.NewWriter(out)
	m := snap.NewMatcher()
	var ev event.Event
	hits := make([]match.Hit, 0, 16)
	events, nhits, bad := 0, 0, 0
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			log.Fatal(err)
		}
		if st, err := f.Stat(); err == nil {
			logBytes += st.Size()
		}
		r := zeek.NewReader(f, path)
		for {
			ev.Reset()
			err := r.Next(&ev)
			if err == io.EOF {
				break
			}
			var rerr *source.RecordError
			if errors.As(err, &rerr) {
				bad++
				if bad <= 5 {
					log.Print(err)
				}
				continue
			}
			if err != nil {
				log.Fatalf("%s: %v", path, err)
			}
			events++
			hits = m.MatchAppend(hits[:0], &ev)
			for _, h := range hits {
				if err := w.WriteHit(snap, &ev, h); err != nil {
					log.Fatal(err)
				}
			}
			nhits += len(hits)
		}
		f.Close()
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if out != os.Stdout {
		if err := out.Close(); err != nil {
			log.Fatal(err)
		}
	}
	wall, cpu := time.Since(matchStart), cputime.Self()-matchCPU
	fmt.Fprintf(os.Stderr, "matchzeek: %d indicators (%d rejected), snapshot %s built in %v; %d events, %d bad records, %d hits in %v total\n",
		len(inds), len(rejects), snap.Version(), built.Round(time.Millisecond), events, bad, nhits, time.Since(start).Round(time.Millisecond))
	// The decode+match phase alone (after the snapshot is built), in the
	// process's CPU time, garbage collection and output included.
	mb := float64(logBytes) / 1e6
	fmt.Fprintf(os.Stderr, "matchzeek: decode+match %.1f MB in %.2f s wall, %.2f cpu-s: %.1f MB/cpu-s, %.0f events/cpu-s\n",
		mb, wall.Seconds(), cpu.Seconds(), mb/cpu.Seconds(), float64(events)/cpu.Seconds())
}

func readIndicators(path string) ([]indicator.Indicator, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []indicator.Indicator
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		v := strings.TrimSpace(sc.Text())
		if v == "" || v[0] == '#' {
			continue
		}
		in := indicator.Indicator{Type: guessType(v), Value: v}
		in.Subdomains = in.Type == indicator.Domain
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

func guessType(v string) indicator.Type {
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Is4() {
			return indicator.IPv4
		}
		return indicator.IPv6
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return indicator.CIDR
	}
	switch {
	case strings.Contains(v, "://"):
		return indicator.URL
	case strings.Contains(v, "@"):
		return indicator.Email
	case strings.Trim(v, "0123456789abcdef") == "":
		switch len(v) {
		case 32:
			return indicator.MD5
		case 40:
			return indicator.SHA1
		case 64:
			return indicator.SHA256
		}
	case strings.Trim(v, "0123456789ABCDEF") == "":
		return indicator.CertSerial
	case strings.ContainsAny(v, " /;()"):
		return indicator.UserAgent
	}
	return indicator.Domain
}
