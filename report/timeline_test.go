package report

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	for _, c := range []struct {
		in, prec string
		want     time.Time
	}{
		{"2013", "year", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2018-05-03", "day", time.Date(2018, 5, 3, 0, 0, 0, 0, time.UTC)},
		{"2018-05-03T00:00:00.000Z", "day", time.Date(2018, 5, 3, 0, 0, 0, 0, time.UTC)},
		{"2009-01-01T00:00:00Z", "year", time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2018-03-06T14:29:54.308Z", "minute", time.Date(2018, 3, 6, 14, 29, 54, 308e6, time.UTC)},
	} {
		got, prec, ok := parseWhen(c.in)
		if !ok || prec != c.prec || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v %q %v, want %v %q", c.in, got, prec, ok, c.want, c.prec)
		}
	}
	for _, bad := range []string{"", "soon", "0099", "2018-13-01", "2018-05-03T25:00:00Z"} {
		if _, _, ok := parseWhen(bad); ok {
			t.Errorf("parseWhen(%q) accepted", bad)
		}
	}
}

// FuzzParseWhen: dates come from sources; none may panic, and a parsed
// date shown at its precision parses back to itself.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2013", "2018-05-03", "2018-03-06T14:29:54.308Z", "2009-01-01T00:00:00Z", "9999", "2018-05-03T00:00:00+14:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, prec, ok := parseWhen(s)
		if !ok {
			return
		}
		e := Event{Time: tm, Precision: prec}
		shown := e.When()
		if prec == "minute" {
			return // shown without seconds
		}
		back, prec2, ok := parseWhen(shown)
		if !ok || !back.Equal(tm.UTC()) || (prec2 != prec && !(prec == "day" && prec2 == "year")) {
			t.Fatalf("parseWhen(%q) = %v %s, shown %q, parses back to %v %s %v", s, tm, prec, shown, back, prec2, ok)
		}
	})
}

func TestTimelineLayout(t *testing.T) {
	base := time.Date(2018, 3, 6, 0, 0, 0, 0, time.UTC)
	var ev []Event
	var alerts []time.Time
	for i := 0; i < 40; i++ {
		at := base.Add(time.Duration(i) * 3 * time.Hour)
		ev = append(ev, Event{Time: at, Precision: "minute", Kind: "seen", Label: "a fairly long label for an event"})
		alerts = append(alerts, at, at.Add(time.Minute))
	}
	tl := buildTimeline(ev, alerts, true)
	for _, p := range []*Panel{tl.History, tl.Recent} {
		if p == nil {
			t.Fatal("missing panel")
		}
		for _, m := range p.Marks {
			if m.X < 0 || m.X > p.Width || m.Y > p.Height {
				t.Errorf("%s: mark at %v,%v outside %vx%v", p.Title, m.X, m.Y, p.Width, p.Height)
			}
		}
		// Labels in one lane never overlap.
		end := map[float64]float64{}
		for _, m := range p.Marks {
			if !m.ShowLabel {
				continue
			}
			if m.X < end[m.LabelY] {
				t.Errorf("%s: label at x=%v overlaps the previous one in its lane (ends %v)", p.Title, m.X, end[m.LabelY])
			}
			end[m.LabelY] = m.X + charWidth*float64(len(m.Label))
		}
	}
	total := 0
	for _, b := range tl.Recent.Bars {
		if b.H <= 0 || b.Y < 0 {
			t.Errorf("bar %+v", b)
		}
		total++
	}
	if total == 0 || tl.Recent.BarMax == 0 {
		t.Error("no bars")
	}
}
