// Command zeekdecode measures the Zeek TSV decoder against peer tools on the
// same generated logs, in the same run, and prints the ratios.
//
// Peers: awk -F'\t' printing the columns the decoder maps (what a
// zeek-cut | awk pipeline does; zeek-cut itself is not packaged), and
// grep -c counting the records (a floor: reading the file and finding line
// ends, no field work). Rounds interleave the tools so that load from other
// processes falls on all of them alike; medians are reported, as MB/s of
// wall time and MB/s of CPU time (user+system; for umbra this includes its
// garbage collector).
//
//	go run ./bench/zeekdecode -mb 200 -runs 5
//
// On a loaded host, instruction counts are the stable comparison:
// bench/zeek-decode-callgrind.sh runs the decoder and awk under callgrind.
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
	"github.com/umbra-cti/umbra/telemetry/zeek"
	"github.com/umbra-cti/umbra/telemetry/zeek/zeektest"
)

type sample struct{ wall, cpu time.Duration }

func main() {
	sizeMB := flag.Int("mb", 200, "approximate size of each generated log, MB")
	runs := flag.Int("runs", 5, "rounds per tool")
	dir := flag.String("dir", "", "directory for the generated logs (default: a temporary one)")
	verbose := flag.Bool("v", false, "print every round's times")
	genOnly := flag.Bool("gen", false, "only write the logs into -dir and exit")
	decodeOnly := flag.String("decode", "", "only decode this file once and exit (for valgrind/callgrind)")
	gz := flag.Bool("gz", false, "measure gzip-compressed conn.log instead: decompression alone (Go's compress/gzip, klauspost's, gzip -dc) against decoding")
	flag.Parse()
	if *decodeOnly != "" {
		_, n := decode(*decodeOnly)
		fmt.Println(n, "records")
		return
	}
	if *genOnly && *dir == "" {
		log.Fatal("-gen needs -dir")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "zeekdecode")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	if *gz {
		gzipRounds(*dir, *sizeMB, *runs, *verbose)
		return
	}
	logs := []struct {
		name   string
		write  func(io.Writer, int, uint64) error
		perRec int    // approximate bytes per record
		awk    string // the columns the decoder maps
	}{
		{"conn.log", zeektest.ConnLog, 175, `!/^#/ {print $1,$2,$3,$4,$5,$6,$7,$10,$11,$22}`},
		{"dns.log", zeektest.DNSLog, 170, `!/^#/ {print $1,$2,$3,$4,$5,$6,$7,$10,$22}`},
	}
	if !*genOnly {
		fmt.Printf("%-9s %-6s %10s %10s %12s %12s\n", "log", "tool", "wall MB/s", "cpu MB/s", "umbra/x wall", "umbra/x cpu")
	}
	for _, l := range logs {
		path := filepath.Join(*dir, l.name)
		f, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		if err := l.write(f, *sizeMB<<20/l.perRec, 1); err != nil {
			log.Fatal(err)
		}
		f.Close()
		if *genOnly {
			continue
		}
		st, _ := os.Stat(path)
		mb := float64(st.Size()) / (1 << 20)

		var umbra, awk, grep []sample
		var records int
		for i := 0; i < *runs; i++ {
			s, n := decode(path)
			umbra, records = append(umbra, s), n
			awk = append(awk, run("awk", "-F\t", l.awk, path))
			grep = append(grep, run("grep", "-c", "-v", "^#", path))
			if *verbose {
				fmt.Printf("  round %d: umbra %v/%v awk %v/%v grep %v/%v (wall/cpu)\n", i+1,
					umbra[i].wall, umbra[i].cpu, awk[i].wall, awk[i].cpu, grep[i].wall, grep[i].cpu)
			}
		}
		u := median(umbra)
		fmt.Printf("%-9s %-6s %10.0f %10.0f %12s %12s   (%d records, %.0f MB)\n", l.name, "umbra",
			mb/u.wall.Seconds(), mb/u.cpu.Seconds(), "", "", records, mb)
		for _, p := range []struct {
			name string
			s    []sample
		}{{"awk", awk}, {"grep", grep}} {
			m := median(p.s)
			fmt.Printf("%-9s %-6s %10.0f %10.0f %12.2f %12.2f\n", l.name, p.name,
				mb/m.wall.Seconds(), mb/m.cpu.Seconds(),
				m.wall.Seconds()/u.wall.Seconds(), m.cpu.Seconds()/u.cpu.Seconds())
		}
	}
}

// gzipRounds answers whether decompression or decoding bounds the reading
// of a .log.gz: it times, interleaved, Go's compress/gzip and klauspost's
// gzip inflating to nowhere, gzip -dc, decoding the plain log, and decoding
// the .gz as umbra ingest opens it (source.Open, compress/gzip).
func gzipRounds(dir string, sizeMB, runs int, verbose bool) {
	plain := filepath.Join(dir, "conn.log")
	f, err := os.Create(plain)
	if err != nil {
		log.Fatal(err)
	}
	if err := zeektest.ConnLog(f, sizeMB<<20/175, 1); err != nil {
		log.Fatal(err)
	}
	f.Close()
	if err := exec.Command("gzip", "-k", "-6", "-f", plain).Run(); err != nil {
		log.Fatal(err)
	}
	gzPath := plain + ".gz"
	st, _ := os.Stat(plain)
	mb := float64(st.Size()) / (1 << 20)
	inflate := func(open func(io.Reader) (io.Reader, error)) sample {
		f, err := os.Open(gzPath)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		cpu0, t0 := cputime.Self(), time.Now()
		zr, err := open(f)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			log.Fatal(err)
		}
		return sample{time.Since(t0), cputime.Self() - cpu0}
	}
	tools := []struct {
		name string
		run  func() sample
	}{
		{"compress/gzip -> /dev/null", func() sample {
			return inflate(func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
		}},
		{"klauspost gzip -> /dev/null", func() sample {
			return inflate(func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) })
		}},
		{"gzip -dc > /dev/null", func() sample { return run("gzip", "-dc", gzPath) }},
		{"umbra decode conn.log", func() sample { s, _ := decode(plain); return s }},
		{"umbra decode conn.log.gz", func() sample { s, _ := decodeOpened(gzPath); return s }},
	}
	results := make([][]sample, len(tools))
	for i := 0; i < runs; i++ {
		for j, t := range tools {
			results[j] = append(results[j], t.run())
			if verbose {
				fmt.Printf("  round %d %s: %v/%v (wall/cpu)\n", i+1, t.name, results[j][i].wall, results[j][i].cpu)
			}
		}
	}
	fmt.Printf("conn.log %.0f MB, gzip -6 %.0f%%; MB/s of uncompressed log, medians of %d\n", mb, 100*gzSize(gzPath)/float64(st.Size()), runs)
	fmt.Printf("%-28s %10s %10s\n", "", "wall MB/s", "cpu MB/s")
	for j, t := range tools {
		m := median(results[j])
		fmt.Printf("%-28s %10.0f %10.0f\n", t.name, mb/m.wall.Seconds(), mb/m.cpu.Seconds())
	}
}

func gzSize(path string) float64 {
	st, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	return float64(st.Size())
}

// decode reads the log through zeek.Reader, as umbra ingest does.
func decode(path string) (sample, int) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	return decodeFrom(f, path, cputime.Self(), time.Now())
}

// decodeOpened is decode for a compressed log, opened as umbra ingest
// opens its inputs (source.Open).
func decodeOpened(path string) (sample, int) {
	cpu0, t0 := cputime.Self(), time.Now()
	s, err := source.Input{Path: path}.Open()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	return decodeFrom(s, path, cpu0, t0)
}

func decodeFrom(in io.Reader, path string, cpu0 time.Duration, t0 time.Time) (sample, int) {
	r := zeek.NewReader(in, path)
	var e event.Event
	n := 0
	for {
		err := r.Next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	return sample{time.Since(t0), cputime.Self() - cpu0}, n
}

func run(name string, args ...string) sample {
	cmd := exec.Command(name, args...)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	ps := cmd.ProcessState
	return sample{time.Since(t0), ps.UserTime() + ps.SystemTime()}
}

func median(s []sample) sample {
	walls := make([]time.Duration, len(s))
	cpus := make([]time.Duration, len(s))
	for i, x := range s {
		walls[i], cpus[i] = x.wall, x.cpu
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return sample{walls[len(s)/2], cpus[len(s)/2]}
}
