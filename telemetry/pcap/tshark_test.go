package pcap

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap/synth"
)

// tsharkFields are the fields compared with tshark, in -e order.
var tsharkFields = []string{"dns.qry.name", "tls.handshake.extensions_server_name", "tls.handshake.ja3", "http.host"}

// tsharkSets runs tshark over a file and returns the distinct values of
// each field.
func tsharkSets(t *testing.T, tshark, path string) [4]map[string]bool {
	args := []string{"-n", "-r", path, "-T", "fields", "-E", "occurrence=f"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.String())
	}
	var sets [4]map[string]bool
	for i := range sets {
		sets[i] = map[string]bool{}
	}
	for _, line := range strings.Split(string(out), "\n") {
		for i, v := range strings.Split(line, "\t") {
			if i < 4 && v != "" {
				if i == 3 {
					v = hostOnly(v) // umbra keeps the host without port, lowercased
				}
				sets[i][v] = true
			}
		}
	}
	return sets
}

func umbraSets(evs []event.Event) [4]map[string]bool {
	var sets [4]map[string]bool
	for i := range sets {
		sets[i] = map[string]bool{}
	}
	for _, e := range evs {
		add := func(i int, v string) {
			if v != "" {
				sets[i][v] = true
			}
		}
		switch e.Kind {
		case event.KindDNS:
			add(0, e.Domain)
		case event.KindTLS:
			add(1, e.SNI)
			add(2, e.JA3)
		case event.KindHTTP:
			add(3, e.Host)
		}
	}
	return sets
}

// tsharkOnly lists values tshark reports that umbra does not, with the
// reason; anything else tshark sees and umbra misses fails the test.
var tsharkOnly = map[string]string{
	// Empty: on the suricata-verify captures and the synthetic one, every
	// value tshark extracts umbra extracts too.
}

func TestTsharkParity(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install -y tshark)")
	}
	root := corpus.Path(t, "suricata-verify", "tests")
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".pcap") {
			files = append(files, p)
		}
		return nil
	})
	cert := synth.SelfSigned(8010, "www.example.com", "cdn.example.com")
	synthetic := filepath.Join(t.TempDir(), "synthetic.pcap")
	if err := os.WriteFile(synthetic, capture(t, synth.VLAN, func(w *synth.Writer) error {
		if err := session(w, client4, server4, cert, 100, true); err != nil {
			return err
		}
		if err := session(w, client6, server6, cert, 1460, false); err != nil {
			return err
		}
		// RFC 9001's QUIC Initial: tshark decrypts it too.
		return w.UDP(client4, server4, 50443, 443, sealInitial(t, unhex(t, rfcDCID), unhex(t, rfcHeader), unhex(t, rfcFrames)))
	}), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, synthetic)
	sort.Strings(files)

	// tshark's start-up is most of its time on small files: join them all
	// (one after the other, each keeping its link type) and run it once.
	mergecap, err := exec.LookPath("mergecap")
	if err != nil {
		t.Skip("mergecap not installed (it comes with tshark)")
	}
	all := filepath.Join(t.TempDir(), "all.pcapng")
	if out, err := exec.Command(mergecap, append([]string{"-a", "-F", "pcapng", "-w", all}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v: %s", err, out)
	}
	theirs := tsharkSets(t, tshark, all)
	var mine [4]map[string]bool
	for i := range mine {
		mine[i] = map[string]bool{}
	}
	for _, f := range files {
		evs, _ := readAll(t, f, 0)
		for i, set := range umbraSets(evs) {
			for v := range set {
				mine[i][v] = true
			}
		}
	}
	// umbra reads the joined file too: a multi-interface pcapng.
	joined, _ := readAll(t, all, 0)
	agree, total := 0, 0
	var report []string
	for i, set := range umbraSets(joined) {
		if len(set) != len(mine[i]) {
			t.Errorf("%s: %d values from the joined pcapng, %d from the files one by one", tsharkFields[i], len(set), len(mine[i]))
		}
	}
	for fi, field := range tsharkFields {
		for v := range theirs[fi] {
			total++
			if mine[fi][v] {
				agree++
				continue
			}
			if why, ok := tsharkOnly[field+" "+v]; ok {
				report = append(report, field+" "+v+" only in tshark ("+why+")")
				continue
			}
			t.Errorf("tshark has %s %q, umbra does not", field, v)
		}
		for v := range mine[fi] {
			if !theirs[fi][v] {
				report = append(report, field+" "+v+" only in umbra")
			}
		}
	}
	sort.Strings(report)
	t.Logf("tshark parity over %d captures: %d of %d tshark values also extracted by umbra\n  %s", len(files), agree, total, strings.Join(report, "\n  "))
}
