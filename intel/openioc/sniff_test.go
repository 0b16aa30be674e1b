package openioc

import (
	"os"
	"testing"
)

// TestSniff checks Sniff on this package's fixtures and rejects the other
// intel readers' fixtures.
func TestSniff(t *testing.T) {
	cases := map[string]bool{"testdata/umbrella-1.1.ioc": true, "testdata/legacy-1.0.ioc": true}
	for _, other := range []string{"../plain/testdata/report.txt", "../csv/testdata/mixed.csv", "../zeekintel/testdata/edge.dat", "../maltrail/testdata/umbrella_test.txt"} {
		cases[other] = false
	}
	for p, want := range cases {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(b); got != want {
			t.Errorf("Sniff(%s) = %v, want %v", p, got, want)
		}
	}
}
