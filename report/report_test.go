package report

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/umbra-cti/umbra/demo"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/kb"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/stix"
)

var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// kbStore is a store holding the built-in knowledge base.
func kbStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := kb.Ensure(context.Background(), st, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func render(t *testing.T, st Store, opt Options) (*Report, string) {
	t.Helper()
	if opt.Now.IsZero() {
		opt.Now = fixedNow
	}
	r, err := Build(context.Background(), st, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return r, buf.String()
}

// checkSelfContained parses the document and fails on anything that
// would run code or fetch from elsewhere: scripts, event handlers,
// javascript: URLs, and any src or href to another host.
func checkSelfContained(t *testing.T, doc string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("the report does not parse: %v", z.Err())
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "link", "img", "image", "use", "foreignobject", "a":
			t.Errorf("the report holds a <%s> element", tok.Data)
		}
		for _, a := range tok.Attr {
			key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
			if strings.HasPrefix(key, "on") {
				t.Errorf("<%s> carries an event handler %s=%q", tok.Data, a.Key, a.Val)
			}
			if strings.Contains(val, "javascript:") {
				t.Errorf("<%s %s=%q> holds a javascript: URL", tok.Data, a.Key, a.Val)
			}
			if key == "src" || key == "href" || key == "xlink:href" || key == "action" || key == "srcset" {
				t.Errorf("<%s %s=%q>: the report must not reference anything", tok.Data, a.Key, a.Val)
			}
			if key == "style" && (strings.Contains(val, "url(") || strings.Contains(val, "expression(")) {
				t.Errorf("<%s style=%q> fetches or runs", tok.Data, a.Val)
			}
		}
	}
	for _, bad := range []string{"@import", "url(", "http-equiv=\"refresh\""} {
		if i := strings.Index(doc, bad); i >= 0 {
			t.Errorf("the report contains %q: ...%s...", bad, doc[max(i-60, 0):min(i+60, len(doc))])
		}
	}
	if !strings.Contains(doc, "Content-Security-Policy") {
		t.Error("the report declares no Content-Security-Policy")
	}
}

func TestActorReportKB(t *testing.T) {
	st := kbStore(t)
	ctx := context.Background()
	r, doc := render(t, st, Options{Actor: "winnti umbrella"})
	checkSelfContained(t, doc)
	want, err := knowledge.ResolveActor(ctx, st, kb.UmbrellaName)
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != want.Name || !strings.Contains(doc, "<h1>"+want.Name+"</h1>") {
		t.Errorf("title %q, want %q", r.Title, want.Name)
	}
	// The knowledge base marks everything TLP:CLEAR, so the report is.
	if r.TLP != stix.TLPClear || !strings.Contains(doc, "TLP:CLEAR") {
		t.Errorf("marking %s, want clear", r.TLP)
	}
	if len(want.Members) == 0 || len(r.Members) != len(want.Members) {
		t.Fatalf("%d members in the report, the store has %d", len(r.Members), len(want.Members))
	}
	for _, m := range want.Members {
		if !strings.Contains(doc, "<b>"+html.EscapeString(m.Name)+"</b>") {
			t.Errorf("member %q missing", m.Name)
		}
	}
	// Conflicts of the members are the umbrella's: "GREF" is claimed for
	// two groups.
	for _, m := range want.Members {
		v, err := knowledge.ResolveActor(ctx, st, m.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range v.Conflicts {
			if !strings.Contains(doc, "<b>"+html.EscapeString(c.Name)+"</b>") {
				t.Errorf("conflict on %q (member %s) missing", c.Name, m.Name)
			}
		}
	}
	if len(want.Techniques) == 0 || r.Techniques.Total != len(want.Techniques) {
		t.Fatalf("%d techniques, the store has %d", r.Techniques.Total, len(want.Techniques))
	}
	for _, tq := range want.Techniques {
		if !strings.Contains(doc, ">"+tq.ExternalID+"<") {
			t.Errorf("technique %s missing", tq.ExternalID)
		}
	}
	// The umbrella's members are judged to belong to it, each with a STIX
	// confidence and its words.
	var members int
	for _, j := range r.Judgements {
		if j.Words != knowledge.ConfidenceWords(j.Confidence) {
			t.Errorf("judgement %q: %d is %q, not %q", j.Statement, j.Confidence, j.Words, knowledge.ConfidenceWords(j.Confidence))
		}
		if strings.HasSuffix(j.Statement, "belongs to the "+want.Name+".") {
			members++
			if len(j.Evidence) == 0 {
				t.Errorf("judgement %q has no evidence", j.Statement)
			}
		}
	}
	if members != len(want.Members) {
		t.Errorf("%d membership judgements, want %d", members, len(want.Members))
	}
	// Without a network memory the report says so rather than "not seen".
	if r.Timeline.Recent != nil || hasHosts(r.Graph) || !strings.Contains(doc, "No network memory was read") {
		t.Error("a report without telemetry shows observations")
	}
	// The operator netblock is an indicator of the umbrella: defanged.
	if !strings.Contains(doc, indicator.Defang(indicator.CIDR, kb.OperatorNetblock)) || strings.Contains(doc, kb.OperatorNetblock) {
		t.Errorf("the operator netblock %s is not (only) shown defanged", kb.OperatorNetblock)
	}
	// And the campaign description's look-alike domains are defanged too.
	if strings.Contains(doc, "account.microsoftssonline.com") {
		t.Error("a domain in a description is live")
	}
}

func TestReportIsDeterministic(t *testing.T) {
	st := kbStore(t)
	_, a := render(t, st, Options{Actor: kb.UmbrellaName})
	_, b := render(t, st, Options{Actor: kb.UmbrellaName})
	if a != b {
		t.Error("the same store gives two different reports")
	}
}

func TestUnknownActor(t *testing.T) {
	st := kbStore(t)
	_, err := Build(context.Background(), st, Options{Actor: "no such group", Now: fixedNow})
	if err == nil || !strings.Contains(err.Error(), "no such group") {
		t.Errorf("err = %v, want one naming the actor", err)
	}
	if _, err := Build(context.Background(), st, Options{Now: fixedNow}); err == nil {
		t.Error("no subject: no error")
	}
	if _, err := Build(context.Background(), st, Options{Incident: "incident--x", Now: fixedNow}); err == nil || !strings.Contains(err.Error(), "network memory") {
		t.Errorf("incident without telemetry: err = %v", err)
	}
}

// put imports objects built from props under source, with the given TLP.
func put(t *testing.T, st *sqlite.Store, tlp stix.TLP, objs ...stix.Object) {
	t.Helper()
	_, err := st.Import(context.Background(), knowledge.ImportInfo{Source: "test", TLP: tlp}, func(p func(stix.Object) error) error {
		for _, o := range objs {
			if err := p(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func build(t *testing.T, typ, id string, p stix.Props) stix.Object {
	t.Helper()
	p["created"], p["modified"] = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
	o, err := stix.Build(typ, id, p)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestHostileActorEscaped(t *testing.T) {
	st := kbStore(t)
	id := stix.DeterministicID("intrusion-set", "hostile")
	name := `<script>alert(1)</script> "; } </style><script>alert(7)</script> Hostile`
	put(t, st, stix.TLPClear,
		build(t, "intrusion-set", id, stix.Props{
			"name":        name,
			"aliases":     []string{`"><svg onload=alert(2)>`, `javascript:alert(3)`},
			"description": `<img src=x onerror=alert(4)> see javascript:alert(5) and <a href="https://evil.example/">this</a>`,
			"first_seen":  `2019-01-01T00:00:00Z`,
		}),
		build(t, "relationship", stix.DeterministicID("relationship", "hostile-member"), stix.Props{
			"relationship_type": "related-to", "source_ref": id, "target_ref": kb.UmbrellaID, "confidence": 40,
			"description": `<script>alert(6)</script>`, knowledge.RelationProp: knowledge.RelMemberOf}),
	)
	for _, actor := range []string{name, kb.UmbrellaName} {
		_, doc := render(t, st, Options{Actor: actor})
		checkSelfContained(t, doc)
		for _, raw := range []string{"<script>alert", "<svg onload", "<img src=x", `<a href="https://evil`} {
			if strings.Contains(doc, raw) {
				t.Errorf("report on %q: %q is not escaped", actor, raw)
			}
		}
		if n := strings.Count(doc, "</style>"); n != 1 {
			t.Errorf("report on %q: %d </style> tags: a name broke out of the style sheet", actor, n)
		}
		if !strings.Contains(doc, "&lt;script&gt;alert(") {
			t.Errorf("report on %q: the hostile name is not shown escaped", actor)
		}
	}
}

// TestTLPCeiling checks that content above --tlp-max never reaches the
// report, and that the report is marked with its most restrictive content.
func TestTLPCeiling(t *testing.T) {
	st := kbStore(t)
	ind := build(t, "indicator", stix.DeterministicID("indicator", "red-one"), stix.Props{
		"pattern": "[domain-name:value = 'red-only-c2.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
		"x_umbra_type": "domain", "x_umbra_value": "red-only-c2.example"})
	rel := build(t, "relationship", stix.DeterministicID("relationship", "red-one"), stix.Props{
		"relationship_type": "indicates", "source_ref": ind.ID, "target_ref": kb.UmbrellaID, "confidence": 80})
	put(t, st, stix.TLPRed, ind, rel)
	amberActor := stix.DeterministicID("intrusion-set", "amber-group")
	put(t, st, stix.TLPAmber,
		build(t, "intrusion-set", amberActor, stix.Props{"name": "Amber Group"}),
		build(t, "relationship", stix.DeterministicID("relationship", "amber-member"), stix.Props{
			"relationship_type": "related-to", "source_ref": amberActor, "target_ref": kb.UmbrellaID, "confidence": 50,
			knowledge.RelationProp: knowledge.RelMemberOf}))

	r, doc := render(t, st, Options{Actor: kb.UmbrellaName, TLPMax: stix.TLPRed})
	if r.TLP != stix.TLPRed || !strings.Contains(doc, "red-only-c2[.]example") || !strings.Contains(doc, "Amber Group") {
		t.Fatalf("under TLP:RED: marking %s, red indicator shown %v, amber member shown %v", r.TLP,
			strings.Contains(doc, "red-only-c2[.]example"), strings.Contains(doc, "Amber Group"))
	}
	r, doc = render(t, st, Options{Actor: kb.UmbrellaName, TLPMax: stix.TLPAmber})
	if strings.Contains(doc, "red-only") || r.TLP != stix.TLPAmber || !strings.Contains(doc, "Amber Group") || r.Withheld == 0 {
		t.Errorf("under TLP:AMBER: marking %s, withheld %d, red shown %v", r.TLP, r.Withheld, strings.Contains(doc, "red-only"))
	}
	r, doc = render(t, st, Options{Actor: kb.UmbrellaName, TLPMax: stix.TLPGreen})
	if strings.Contains(doc, "red-only") || strings.Contains(doc, "Amber Group") || r.TLP > stix.TLPGreen {
		t.Errorf("under TLP:GREEN: marking %s; red shown %v; amber shown %v", r.TLP, strings.Contains(doc, "red-only"), strings.Contains(doc, "Amber Group"))
	}
	if _, err := Build(context.Background(), st, Options{Actor: "Amber Group", TLPMax: stix.TLPGreen, Now: fixedNow}); err == nil {
		t.Error("an amber actor can be reported on under a green ceiling")
	}
}

// live network values: a scheme, a dotted quad, a dotted name.
var liveValue = regexp.MustCompile(`(?i)\b(https?|ftp)://|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|\b[a-z0-9-]+\.(com|net|org|info|example|io|cn|jp|kr|ru|biz|top)\b`)

// demoStore runs the demo into a fresh data dir and returns its store and
// what the network memory holds, as `umbra report` would read them.
func demoStore(t *testing.T) (*sqlite.Store, *Observed, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the demo")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := demo.Run(ctx, io.Discard, demo.Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mem, err := memory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{TLPMax: stix.TLPRed})
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := match.Build(inds, nil)
	obs, err := Observe(ctx, mem, snap, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Alerts) == 0 {
		t.Fatal("the demo's memory matched nothing")
	}
	return st, obs, dir
}

func TestDemoReports(t *testing.T) {
	st, obs, dir := demoStore(t)
	ctx := context.Background()
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{Actor: kb.UmbrellaName, TLPMax: stix.TLPRed})
	if err != nil {
		t.Fatal(err)
	}
	noLiveValue := func(name, doc string) {
		t.Helper()
		for _, ind := range inds {
			if indicator.NeedsDefang(ind.Type) && strings.Contains(doc, ind.Value) {
				t.Errorf("%s: indicator %s %q appears live", name, ind.Type, ind.Value)
			}
		}
		i := strings.Index(doc, `id="appendix"`)
		j := strings.Index(doc, "Appendix B.")
		if i < 0 || j < i {
			t.Fatalf("%s: no appendix", name)
		}
		if m := liveValue.FindString(doc[i:j]); m != "" {
			t.Errorf("%s: the appendix holds a live-looking value %q", name, m)
		}
	}

	own := stix.TLPAmber
	r, doc := render(t, st, Options{Actor: kb.UmbrellaName, Observed: obs, OwnTLP: &own, TLPMax: stix.TLPRed})
	checkSelfContained(t, doc)
	noLiveValue("actor report", doc)
	seen := 0
	for _, row := range r.Indicators {
		if row.Alerts > 0 {
			seen++
		}
	}
	if seen == 0 || r.Timeline.Recent == nil || !hasHosts(r.Graph) {
		t.Errorf("after the demo: %d indicators seen, recent timeline %v, hosts in the map %v", seen, r.Timeline.Recent != nil, hasHosts(r.Graph))
	}
	if r.TLP < own {
		t.Errorf("the report shows our telemetry but is marked %s, below its %s", r.TLP, own)
	}
	if len(r.Leads) == 0 {
		t.Error("the demo's opsec slip is not in the actor report")
	}

	// The incident with the most alerts is the intrusion; the demo
	// attributes it to the umbrella, and so must its report.
	incs, err := Incidents(ctx, st, obs)
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) == 0 {
		t.Fatal("no incidents")
	}
	best := incs[0]
	for _, n := range incs {
		if len(n.Observables) > len(best.Observables) {
			best = n
		}
	}
	r, doc = render(t, st, Options{Incident: strings.TrimPrefix(best.ID, "incident--")[:8], Observed: obs, TLPMax: stix.TLPRed})
	checkSelfContained(t, doc)
	noLiveValue("incident report", doc)
	if r.Incident == nil || r.Incident.ID != best.ID || !strings.Contains(doc, best.ID) {
		t.Fatalf("incident report is about %+v, want %s", r.Incident, best.ID)
	}
	if len(r.Judgements) == 0 || !strings.Contains(r.Judgements[0].Statement, kb.UmbrellaName) || r.Judgements[0].Alternative {
		t.Errorf("first judgement %+v, want the %s", r.Judgements, kb.UmbrellaName)
	}
	if len(r.Judgements[0].Evidence) == 0 {
		t.Error("the attribution has no evidence chain")
	}
	if r.Incident.Alerts == 0 || len(r.Incident.Hosts) == 0 || len(r.Indicators) == 0 {
		t.Errorf("incident facts: %+v, %d indicators", r.Incident, len(r.Indicators))
	}
	if r.TLP < stix.TLPAmber {
		t.Errorf("incident report marked %s: our telemetry is amber by default", r.TLP)
	}
	// Under a green ceiling our (amber) telemetry cannot go in.
	if _, err := Build(ctx, st, Options{Incident: best.ID, Observed: obs, TLPMax: stix.TLPGreen, Now: fixedNow}); err == nil {
		t.Error("an incident report was written under TLP:GREEN from amber telemetry")
	}
	r, _ = render(t, st, Options{Actor: kb.UmbrellaName, Observed: obs, TLPMax: stix.TLPGreen})
	if hasHosts(r.Graph) || r.Timeline.Recent != nil || r.TLP > stix.TLPGreen {
		t.Errorf("under TLP:GREEN the actor report shows our telemetry (marking %s)", r.TLP)
	}

	if os.Getenv("UMBRA_REPORT_KEEP") != "" {
		os.WriteFile(filepath.Join(os.Getenv("UMBRA_REPORT_KEEP"), "demo-incident.html"), []byte(doc), 0o644)
	}
	_ = dir
}

func TestPDF(t *testing.T) {
	if _, err := FindChromium(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs Chromium for the PDF test: %v", err)
		}
		t.Skip(err)
	}
	st := kbStore(t)
	_, doc := render(t, st, Options{Actor: kb.UmbrellaName})
	out := filepath.Join(t.TempDir(), "winnti.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := PDF(ctx, []byte(doc), out, PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 20<<10 {
		t.Errorf("PDF of %d bytes starting %q", len(b), b[:min(len(b), 8)])
	}
	// Several pages: the report did not collapse into an empty sheet.
	if n := bytes.Count(b, []byte("/Type /Page")) - bytes.Count(b, []byte("/Type /Pages")); n < 2 {
		t.Errorf("PDF has %d pages", n)
	}
}

func TestPDFWithoutChromium(t *testing.T) {
	err := PDF(context.Background(), []byte("<p>x</p>"), filepath.Join(t.TempDir(), "x.pdf"), PDFOptions{Chromium: filepath.Join(t.TempDir(), "no-chromium")})
	if err == nil || !strings.Contains(err.Error(), "Chromium") {
		t.Errorf("err = %v, want one that names Chromium", err)
	}
}
