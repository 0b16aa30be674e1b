// Package simulate generates a realistic scenario for umbra's demo, tests
// and benchmarks: a game studio's network telemetry (Zeek logs, optionally
// a pcap), its cloud sign-in logs and PE files, with a Winnti-umbrella
// intrusion woven in as ProtectWise's "Burning Umbrella" report describes
// it — résumé lures to HR, Office 365 and Gmail look-alike phishing,
// sign-ins from attacker infrastructure, C2 over 53/80/443 to per-target
// subdomains, internal scanning, malware signed with a stolen certificate,
// and operator sessions straight from 221.216.0.0/13 — together with the
// intel feeds that later name it and the ground truth of every malicious
// record.
//
// Output layout (scripts rely on these names):
//
//	zeek/{conn,dns,http,ssl,x509,files}.log   Zeek 6 TSV
//	pcap/scenario.pcap                        with PCAP only
//	intel/initial.csv, intel/later.csv        Burning Umbrella CSV format
//	intel/initial.stix.json, later.stix.json  the same as STIX 2.1 bundles
//	signin/entra_signins.json                 Graph signIn records, one per line
//	signin/google_login.json                  Reports API login activities, one per line
//	pe/*.exe                                  signed and unsigned PE32 files
//	geo.mmdb                                  ASN + country for every address used
//	truth.jsonl                               one line per malicious record
//
// Output is a pure function of Options (Workers aside, which only sets
// the parallelism): the same options give byte-identical files.
// Everything is streamed, so memory stays flat from a few hundred thousand
// events to hundreds of millions.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Options choose the scenario to generate.
type Options struct {
	Out   string    // output directory, created if missing
	Hosts int       // hosts in the organisation; 0 means 50
	Days  int       // days of telemetry; 0 means 7
	Seed  uint64    // the same seed gives byte-identical output
	PCAP  bool      // also write pcap/scenario.pcap
	Start time.Time // first instant; zero means DefaultStart
	// Workers is how many days are generated at once; 0 means GOMAXPROCS.
	// The output does not depend on it.
	Workers int
}

// DefaultStart is the first day of a scenario when Options.Start is zero:
// a Monday in March 2018, the weeks the Burning Umbrella report covers.
var DefaultStart = time.Date(2018, 3, 5, 0, 0, 0, 0, time.UTC)

// Summary counts what Generate wrote.
type Summary struct {
	Out        string    `json:"out"`
	Hosts      int       `json:"hosts"`
	Days       int       `json:"days"`
	Seed       uint64    `json:"seed"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Conn       uint64    `json:"conn"`
	DNS        uint64    `json:"dns"`
	HTTP       uint64    `json:"http"`
	SSL        uint64    `json:"ssl"`
	X509       uint64    `json:"x509"`
	Files      uint64    `json:"files"`
	SignIns    uint64    `json:"signins"`
	Packets    uint64    `json:"packets"`
	Truth      uint64    `json:"truth"`
	IntelFirst int       `json:"intel_initial"`
	IntelLater int       `json:"intel_later"`
	PEFiles    int       `json:"pe_files"`
	Bytes      int64     `json:"bytes"`
}

// Events is the number of log records written: Zeek lines plus sign-ins.
func (s Summary) Events() uint64 {
	return s.Conn + s.DNS + s.HTTP + s.SSL + s.X509 + s.Files + s.SignIns
}

// Generate writes the scenario described by opts to opts.Out and returns
// what it wrote. It stops early with ctx's error when ctx is cancelled.
func Generate(ctx context.Context, opts Options) (Summary, error) {
	if opts.Out == "" {
		return Summary{}, errors.New("simulate: no output directory")
	}
	if opts.Hosts == 0 {
		opts.Hosts = 50
	}
	if opts.Days == 0 {
		opts.Days = 7
	}
	if opts.Days < 0 || opts.Days > 3660 {
		return Summary{}, fmt.Errorf("simulate: %d days is out of range (1..3660)", opts.Days)
	}
	if opts.Start.IsZero() {
		opts.Start = DefaultStart
	}
	opts.Start = opts.Start.UTC().Truncate(time.Minute)
	org, err := NewOrg(opts.Hosts)
	if err != nil {
		return Summary{}, err
	}
	for _, d := range []string{"zeek", "intel", "signin", "pe"} {
		if err := os.MkdirAll(filepath.Join(opts.Out, d), 0o755); err != nil {
			return Summary{}, fmt.Errorf("simulate: %v", err)
		}
	}
	if opts.PCAP {
		if err := os.MkdirAll(filepath.Join(opts.Out, "pcap"), 0o755); err != nil {
			return Summary{}, fmt.Errorf("simulate: %v", err)
		}
	} else if err := os.Remove(filepath.Join(opts.Out, "pcap", "scenario.pcap")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A capture left by an earlier --pcap run would not match the new
		// logs.
		return Summary{}, fmt.Errorf("simulate: %v", err)
	}
	sum := Summary{Out: opts.Out, Hosts: opts.Hosts, Days: opts.Days, Seed: opts.Seed,
		Start: opts.Start, End: opts.Start.AddDate(0, 0, opts.Days)}

	pes, err := buildPEs()
	if err != nil {
		return sum, err
	}
	for _, p := range pes {
		if err := os.WriteFile(filepath.Join(opts.Out, "pe", p.name), p.data, 0o644); err != nil {
			return sum, fmt.Errorf("simulate: %v", err)
		}
	}
	sum.PEFiles = len(pes)

	att := newAttacker()
	plan := newPlan(opts, &org, &att)
	if err := generateTraffic(ctx, opts, &org, &att, plan, pes, &sum); err != nil {
		return sum, err
	}
	if err := generateSignIns(ctx, opts, &org, &att, plan, &sum); err != nil {
		return sum, err
	}
	implant := pes[2]
	infra := att.infrastructure(org.Tag, StolenSerial, implant.md5)
	if sum.IntelFirst, sum.IntelLater, err = writeIntel(opts.Out, infra, opts.Start.AddDate(0, 0, opts.Days*6/10)); err != nil {
		return sum, err
	}
	if err := writeMMDB(filepath.Join(opts.Out, "geo.mmdb"), &org, &att, opts.Start); err != nil {
		return sum, err
	}
	sum.Bytes, _ = dirSize(opts.Out)
	return sum, nil
}

// Infrastructure returns every attacker indicator the two intel feeds
// publish, each marked with the feed it is in, for tests and demos that
// check coverage.
func Infrastructure() ([]Infra, error) {
	pes, err := buildPEs()
	if err != nil {
		return nil, err
	}
	att := newAttacker()
	att.setCerts(DefaultStart)
	return att.infrastructure("lpg", StolenSerial, pes[2].md5), nil
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}
