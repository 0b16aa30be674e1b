// Command stixgen writes a synthetic STIX 2.1 bundle of a given size for
// the import benchmarks: mostly indicators (pattern, description, marking,
// reference), a relationship per ten objects and a malware per fifty, the
// shape stix.BenchmarkReader reads. Ids are deterministic, so two runs of
// the same size write the same file.
//
//	go run ./bench/stixgen -bytes 1G -o /tmp/big.json
//	go run ./bench/stixgen -objects 100000 -indent > /tmp/100k.json
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	size := flag.String("bytes", "", "stop after about this many bytes (suffix K, M or G)")
	objects := flag.Int("objects", 0, "stop after this many objects")
	indent := flag.Bool("indent", false, "one object per line")
	out := flag.String("o", "-", "output file")
	flag.Parse()
	limit, err := parseSize(*size)
	if err != nil || (limit == 0 && *objects == 0) {
		fmt.Fprintln(os.Stderr, "usage: stixgen -bytes N[K|M|G] | -objects N [-indent] [-o FILE]")
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	n, written := write(bw, limit, *objects, *indent)
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%d objects, %d bytes\n", n, written)
}

func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	v, err := strconv.ParseInt(strings.TrimRight(s, "KMG"), 10, 64)
	return v * mult, err
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func write(bw io.Writer, limit int64, objects int, indent bool) (int, int64) {
	w := &counter{w: bw}
	fmt.Fprint(w, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`)
	nl := ""
	if indent {
		nl = "\n  "
	}
	i := 0
	for ; (limit == 0 || w.n < limit) && (objects == 0 || i < objects); i++ {
		if i > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprint(w, nl)
		switch {
		case i%50 == 49:
			fmt.Fprintf(w, `{"type":"malware","spec_version":"2.1","id":"malware--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"family %d","is_family":true,"malware_types":["backdoor"]}`, i, i)
		case i%10 == 9:
			fmt.Fprintf(w, `{"type":"relationship","spec_version":"2.1","id":"relationship--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--%08x-0000-4000-8000-000000000000","target_ref":"malware--%08x-0000-4000-8000-000000000000"}`, i, i-1, i|49)
		default:
			fmt.Fprintf(w, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"c2-%d.example-%d.com","description":"Command and control domain seen in campaign %d","indicator_types":["malicious-activity"],"pattern":"[domain-name:value = 'c2-%d.example-%d.com']","pattern_type":"stix","valid_from":"2024-03-01T10:00:00Z","labels":["c2"],"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"external_references":[{"source_name":"feed","url":"https://feed.example/reports/%d"}]}`,
				i, i, i%97, i%13, i, i%97, i/1000)
		}
	}
	fmt.Fprint(w, "\n]}\n")
	return i, w.n
}
