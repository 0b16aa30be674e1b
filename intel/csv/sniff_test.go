package csv

import (
	"os"
	"testing"
)

func TestSniff(t *testing.T) {
	cases := map[string]bool{
		"testdata/mixed.csv": true, "testdata/typed.csv": true,
		"testdata/noheader.tsv":                  false, // no header: only plain-style reading would be right
		"../plain/testdata/report.txt":           false,
		"../zeekintel/testdata/edge.dat":         false,
		"../maltrail/testdata/umbrella_test.txt": false,
		"../openioc/testdata/umbrella-1.1.ioc":   false,
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
