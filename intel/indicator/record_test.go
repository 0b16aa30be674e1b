package indicator

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCollector(t *testing.T) {
	var got []string
	var rejected []string
	c := NewCollector("list.txt", func(r Record) error {
		got = append(got, fmt.Sprintf("%s %s %s:%d", r.Type, r.Value, r.File, r.Line))
		return nil
	}, func(e *LineError) { rejected = append(rejected, e.Error()) })
	c.Add(Record{Type: Domain, Value: "evil.example.com"}, 1)
	c.Add(Record{Type: Domain, Value: "evil.example.com"}, 2)   // duplicate
	c.Add(Record{Type: FileName, Value: "evil.example.com"}, 3) // same value, other type
	_, err := Normalize(IPv4, "1.2.3")
	c.Reject(4, "", err)
	_, _, err = Detect("prose")
	c.Reject(5, "", err)
	c.Reject(6, "csv syntax", errors.New("bare quote"))
	s := c.Summary()
	if strings.Join(got, "|") != "domain evil.example.com list.txt:1|file-name evil.example.com list.txt:3" {
		t.Errorf("emitted %q", got)
	}
	if s.Imported != 2 || s.Duplicates != 1 || s.Rejected != 3 || s.ByType[Domain] != 1 || s.ByType[FileName] != 1 {
		t.Errorf("summary %+v", s)
	}
	if s.Reasons["bad ipv4"] != 1 || s.Reasons["not an indicator"] != 1 || s.Reasons["csv syntax"] != 1 {
		t.Errorf("reasons %v", s.Reasons)
	}
	want := []string{`list.txt:4: bad ipv4 "1.2.3": not an IP address`, `list.txt:5: "prose": cannot tell what kind of indicator this is`, "list.txt:6: bare quote"}
	if strings.Join(rejected, "|") != strings.Join(want, "|") {
		t.Errorf("rejections\n got  %q\n want %q", rejected, want)
	}
	if s.String() != "imported 2, duplicates 1, rejected 3 (bad ipv4: 1, csv syntax: 1, not an indicator: 1)" {
		t.Errorf("String() = %q", s.String())
	}
	stop := errors.New("stop")
	c2 := NewCollector("x", func(Record) error { return stop }, nil)
	if err := c2.Add(Record{Type: IPv4, Value: "1.2.3.4"}, 1); err != stop {
		t.Errorf("emit error not passed on: %v", err)
	}
}

func TestCollectorKeepsFirstErrors(t *testing.T) {
	c := NewCollector("big.txt", nil, nil)
	for i := 0; i < MaxSummaryErrors+5; i++ {
		c.Reject(i+1, "x", errors.New("bad"))
	}
	s := c.Summary()
	if s.Rejected != MaxSummaryErrors+5 || len(s.Errors) != MaxSummaryErrors || s.ErrorsDropped != 5 || s.Errors[0].Line != 1 {
		t.Errorf("rejected %d, kept %d, dropped %d", s.Rejected, len(s.Errors), s.ErrorsDropped)
	}
}

func BenchmarkCollectorAdd(b *testing.B) {
	vals := make([]string, 200000)
	for i := range vals {
		vals[i] = fmt.Sprintf("host%d.example%d.com", i*7919%100003, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := NewCollector("b", nil, nil)
		for _, v := range vals {
			c.Add(Record{Type: Domain, Value: v}, 1)
		}
	}
	b.ReportMetric(float64(len(vals))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
