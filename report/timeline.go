package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Timeline is the report's time view: what sources say happened (often
// years) and, zoomed in, what our telemetry saw (hours and days).
type Timeline struct {
	Events  []Event
	History *Panel // every event
	Recent  *Panel // our observations, with alerts per bucket; nil without any
}

// Event is one dated fact.
type Event struct {
	Time time.Time
	// Precision is "year", "day" or "minute": how exactly the source dated it.
	Precision string
	Kind      string // intel, name, report, campaign, seen, intel-added, slip
	Label     string
}

// When formats the event's time at its precision.
func (e Event) When() string {
	switch e.Precision {
	case "year":
		return e.Time.UTC().Format("2006")
	case "day":
		return e.Time.UTC().Format("2006-01-02")
	}
	return e.Time.UTC().Format("2006-01-02 15:04 UTC")
}

// Panel is one SVG strip with its geometry computed here, so the
// template only places what it is given.
type Panel struct {
	Title         string
	Width, Height float64
	AxisY         float64
	Ticks         []Tick
	Marks         []Mark
	Bars          []Bar
	BarMax        int
	Bucket        string
}

// Tick is an axis label.
type Tick struct {
	X     float64
	Label string
}

// Mark is an event on a panel: a marker on the axis and a label in a lane.
type Mark struct {
	X, Y, LabelY float64
	Kind         string
	Label        string
	Title        string
	ShowLabel    bool
}

// Bar is one bucket of alerts.
type Bar struct {
	X, Y, W, H float64
	Title      string
}

const (
	panelWidth  = 960.0
	panelMargin = 40.0
	laneHeight  = 16.0
	maxLanes    = 6
	charWidth   = 6.0 // px per character at the label font size
)

// parseWhen reads the dates sources give: a year, a day or an RFC 3339
// time, with the precision it carries. Dates before 1900 are taken for
// placeholders (0001-01-01) and refused.
func parseWhen(s string) (time.Time, string, bool) {
	t, prec, ok := parseWhenAny(strings.TrimSpace(s))
	if !ok || t.Year() < 1900 {
		return time.Time{}, "", false
	}
	return t, prec, true
}

func parseWhenAny(s string) (time.Time, string, bool) {
	if len(s) == 4 {
		if y, err := strconv.Atoi(s); err == nil && y > 0 {
			return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), "year", true
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, "day", true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t = t.UTC() // a midnight in another zone is a time of day here
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			if t.Month() == 1 && t.Day() == 1 {
				return t, "year", true
			}
			return t, "day", true
		}
		return t, "minute", true
	}
	return time.Time{}, "", false
}

// buildTimeline sorts events and lays out the panels: the history of
// every event (unless history is false: an incident's events are all
// recent) and, when there are alerts, the span of our observations with
// the events that fall in it.
func buildTimeline(events []Event, alerts []time.Time, history bool) Timeline {
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].Time.Equal(events[j].Time) {
			return events[i].Time.Before(events[j].Time)
		}
		return events[i].Label < events[j].Label
	})
	tl := Timeline{Events: events}
	if len(events) > 0 && history {
		tl.History = layoutPanel("History: what sources report, and when we saw it", events, nil)
	}
	if len(alerts) > 0 {
		lo, hi := alerts[0], alerts[0]
		for _, t := range alerts {
			if t.Before(lo) {
				lo = t
			}
			if t.After(hi) {
				hi = t
			}
		}
		margin := max(hi.Sub(lo)/10, time.Hour)
		var recent []Event
		for _, e := range events {
			if e.Precision == "minute" && !e.Time.Before(lo.Add(-margin)) && !e.Time.After(hi.Add(margin)) {
				recent = append(recent, e)
			}
		}
		tl.Recent = layoutPanel("On our network: alerts over time", recent, alerts)
	}
	return tl
}

// layoutPanel places events (and, when given, alert times as bars) on a
// horizontal time axis. Labels take the first lane where they do not
// overlap the previous label; those that fit nowhere keep their marker
// and appear in the table below the figure.
func layoutPanel(title string, events []Event, alerts []time.Time) *Panel {
	var lo, hi time.Time
	for _, e := range events {
		if lo.IsZero() || e.Time.Before(lo) {
			lo = e.Time
		}
		if e.Time.After(hi) {
			hi = e.Time
		}
	}
	for _, t := range alerts {
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	span := hi.Sub(lo)
	if span < time.Hour {
		span = time.Hour
	}
	pad := span / 25
	lo, hi = lo.Add(-pad), hi.Add(pad)
	p := &Panel{Title: title, Width: panelWidth}
	plot := panelWidth - 2*panelMargin
	x := func(t time.Time) float64 {
		return round1(panelMargin + plot*float64(t.Sub(lo))/float64(hi.Sub(lo)))
	}
	barTop, barH := 0.0, 0.0
	if len(alerts) > 0 {
		barTop, barH = 24, 90
	}
	laneTop := barTop + barH + 24
	// Lanes of labels above the axis.
	laneEnd := make([]float64, maxLanes)
	used := 0
	for _, e := range events {
		m := Mark{X: x(e.Time), Kind: e.Kind, Label: e.Label, Title: e.When() + " — " + e.Label}
		w := charWidth * float64(len([]rune(e.Label)))
		for l := 0; l < maxLanes; l++ {
			if laneEnd[l] <= m.X-4 || laneEnd[l] == 0 {
				if m.X+w > panelWidth-4 {
					// Would run off the right edge: skip the label.
					break
				}
				laneEnd[l] = m.X + w + 8
				m.ShowLabel = true
				m.LabelY = float64(l)
				used = max(used, l+1)
				break
			}
		}
		p.Marks = append(p.Marks, m)
	}
	p.AxisY = laneTop + float64(used)*laneHeight + 10
	for i := range p.Marks {
		p.Marks[i].Y = p.AxisY
		p.Marks[i].LabelY = round1(laneTop + p.Marks[i].LabelY*laneHeight + 10)
	}
	p.Height = p.AxisY + 30
	p.Ticks = ticks(lo, hi, x)
	if len(alerts) > 0 {
		bucket := bucketFor(hi.Sub(lo))
		p.Bucket = bucketName(bucket)
		counts := map[int64]int{}
		for _, t := range alerts {
			counts[t.UnixNano()/int64(bucket)]++
		}
		keys := make([]int64, 0, len(counts))
		for k, n := range counts {
			keys = append(keys, k)
			p.BarMax = max(p.BarMax, n)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, k := range keys {
			start := time.Unix(0, k*int64(bucket)).UTC()
			x0, x1 := x(start), x(start.Add(bucket))
			n := counts[k]
			h := round1(barH * float64(n) / float64(p.BarMax))
			if h < 1 {
				h = 1
			}
			p.Bars = append(p.Bars, Bar{X: x0, W: round1(max(x1-x0-1, 1)), Y: round1(barTop + barH - h), H: h,
				Title: fmt.Sprintf("%s: %d alerts", start.Format("2006-01-02 15:04"), n)})
		}
	}
	return p
}

func bucketFor(span time.Duration) time.Duration {
	for _, b := range []time.Duration{time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		if span/b <= 120 {
			return b
		}
	}
	return 30 * 24 * time.Hour
}

func bucketName(b time.Duration) string {
	switch {
	case b >= 24*time.Hour && b%(24*time.Hour) == 0:
		return plural(int(b/(24*time.Hour)), "day", "days")
	default:
		return plural(int(b/time.Hour), "hour", "hours")
	}
}

// ticks labels the axis in years, months, days or hours, whichever gives
// a handful of labels over the span.
func ticks(lo, hi time.Time, x func(time.Time) float64) []Tick {
	span := hi.Sub(lo)
	var out []Tick
	add := func(t time.Time, layout string) {
		if !t.Before(lo) && !t.After(hi) {
			out = append(out, Tick{X: x(t), Label: t.Format(layout)})
		}
	}
	switch {
	case span > 3*365*24*time.Hour:
		step := 1
		for span/time.Duration(step)/(365*24*time.Hour) > 12 {
			step++
		}
		for y := lo.Year(); y <= hi.Year(); y++ {
			if y%step == 0 {
				add(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), "2006")
			}
		}
	case span > 60*24*time.Hour:
		step := 1
		for span/time.Duration(step)/(30*24*time.Hour) > 12 {
			step++
		}
		for t := time.Date(lo.Year(), lo.Month(), 1, 0, 0, 0, 0, time.UTC); !t.After(hi); t = t.AddDate(0, step, 0) {
			add(t, "Jan 2006")
		}
	case span > 3*24*time.Hour:
		step := 1
		for span/time.Duration(step)/(24*time.Hour) > 12 {
			step++
		}
		for t := time.Date(lo.Year(), lo.Month(), lo.Day(), 0, 0, 0, 0, time.UTC); !t.After(hi); t = t.AddDate(0, 0, step) {
			add(t, "Jan 2")
		}
	default:
		step := 1
		for span/time.Duration(step)/time.Hour > 12 {
			step++
		}
		for t := lo.Truncate(time.Hour); !t.After(hi); t = t.Add(time.Duration(step) * time.Hour) {
			add(t, "Jan 2 15:04")
		}
	}
	return out
}

func round1(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*10+0.5)) / 10
	}
	return float64(int64(f*10+0.5)) / 10
}
