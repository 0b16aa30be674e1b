package lookalike

import (
	"bufio"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// userBrands bring the benchmark to 50 brands: the 15 defaults plus the
// kind of domains a game studio or software vendor would add.
var userBrands = []string{
	"example-studio.com", "gamestudio.com", "playnexus.net", "nordsoft.de", "pixelforge.io",
	"ngo-watch.org", "dailyherald.co.uk", "examplebank.com", "acme-corp.com", "contoso.com",
	"fabrikam.com", "northwind.com", "tailspin.com", "wingtiptoys.com", "adventure-works.com",
	"litware.com", "proseware.com", "woodgrove.com", "coho-winery.com", "blueyonder.com",
	"margie-travel.com", "lucerne-publishing.com", "treyresearch.net", "fourthcoffee.com",
	"alpineski.com", "wideworldimporters.com", "graphicdesign.com", "humongousinsurance.com",
	"relecloud.com", "southridgevideo.com", "consolidatedmessenger.com", "cpandl.com",
	"datum-corp.com", "fineartschool.net", "libertydelightfulsweets.com",
}

// benchmarkNames is a realistic observed-name mix: popular legitimate
// sites under typical host names, the brands' own hosts, and one name in
// twenty a look-alike.
func benchmarkNames(b *testing.B, d *Detector) []string {
	b.Helper()
	fh, err := os.Open("testdata/popular.txt")
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	var popular []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && l[0] != '#' {
			popular = append(popular, l)
		}
	}
	var looks []Permutation
	for _, br := range []string{"microsoftonline.com", "google.com", "gmail.com", "outlook.com", "example-studio.com"} {
		looks = append(looks, d.Generate(br)...)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	hosts := []string{"www.", "", "api.", "cdn.", "mail.", "static.", "img-12.", "edge.eu-west-1.", "login."}
	names := make([]string, 0, 100000)
	for len(names) < cap(names) {
		switch r := rng.IntN(20); {
		case r == 0:
			names = append(names, looks[rng.IntN(len(looks))].Domain)
		case r == 1:
			br := d.brands[rng.IntN(len(d.brands))]
			names = append(names, hosts[rng.IntN(len(hosts))]+br.Domain)
		default:
			names = append(names, hosts[rng.IntN(len(hosts))]+popular[rng.IntN(len(popular))])
		}
	}
	return names
}

var (
	benchOnce     sync.Once
	benchDetector *Detector
	benchNames    []string
	benchErr      error
)

// BenchmarkCheck measures Check against 50 brands over the mix, whose
// 100,000 names hold ~12,000 distinct ones, so most calls are answered by
// the verdict cache, as with real telemetry. The domains/cpu-s metric is
// per core: CPU time of the benchmarking thread.
func BenchmarkCheck(b *testing.B) {
	d, names := benchSetup(b)
	benchLoop(b, func(i int) bool { _, ok := d.Check(names[i%len(names)]); return ok })
}

// BenchmarkCheckFirstSight measures the full comparison, as for a name
// never seen before: the verdict cache is bypassed.
func BenchmarkCheckFirstSight(b *testing.B) {
	d, names := benchSetup(b)
	benchLoop(b, func(i int) bool { _, ok := d.check(names[i%len(names)]); return ok })
}

// BenchmarkCheckDistinct is Check on names that are all different (a
// unique host label before each name of the mix), as a stream of names
// never seen before reaches it: the verdict cache is consulted and filled
// but never answers. Run it with -benchtime up to 1000000x; beyond, names
// repeat.
func BenchmarkCheckDistinct(b *testing.B) {
	d, names := benchSetup(b)
	distinctOnce.Do(func() {
		distinct = make([]string, 1000000)
		for i := range distinct {
			distinct[i] = "n" + strconv.Itoa(i) + "." + names[i%len(names)]
		}
	})
	benchLoop(b, func(i int) bool { _, ok := d.Check(distinct[i%len(distinct)]); return ok })
}

var (
	distinctOnce sync.Once
	distinct     []string
)

func benchSetup(b *testing.B) (*Detector, []string) {
	b.Helper()
	benchOnce.Do(func() {
		benchDetector, benchErr = New(userBrands, Options{})
		if benchErr == nil {
			benchNames = benchmarkNames(b, benchDetector)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	if len(benchDetector.brands) != 50 {
		b.Fatalf("%d brands, want 50", len(benchDetector.brands))
	}
	return benchDetector, benchNames
}

func benchLoop(b *testing.B, check func(i int) bool) {
	found := 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if check(i) {
			found++
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "domains/s")
	// On a shared machine wall time overstates the cost; CPU time is what
	// one core spends per domain.
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "domains/cpu-s")
	b.ReportMetric(float64(found)/float64(b.N)*100, "%flagged")
}

// BenchmarkGenerate measures permutation generation for one brand.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for i := 0; i < b.N; i++ {
		n = len(Generate("google.com"))
	}
	b.ReportMetric(float64(n), "permutations")
}

// cpuTime is the calling thread's user plus system CPU time; callers lock
// the goroutine to its thread so that the figure is one core's work.
func cpuTime() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD on Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
