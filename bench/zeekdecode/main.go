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
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/telemetry/event"
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

// decode reads the log through zeek.Reader, as umbra ingest does.
func decode(path string) (sample, int) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cpu0 := cputime.Self()
	t0 := time.Now()
	r := zeek.NewReader(f, path)
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
