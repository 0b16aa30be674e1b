package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/detect/signin"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

func init() {
	cmd := &cobra.Command{
		Use:   "signins PATH... [--json] [--mmdb FILE] [--users FILE] [--brand DOMAIN]...",
		Short: "Flag cloud sign-ins that look like phished credentials in use",
		Long: `signins reads cloud sign-in logs (Entra ID / Office 365 and Google Workspace
exports) together with the web and DNS telemetry of the same days (Zeek logs,
Suricata EVE, pcap), interleaved by time, and flags a sign-in when:

  intel-ip               its source address matches the active intel;
  operator-netblock      its source lies in an actor's home netblock: those of
                         the knowledge store (built in: 221.216.0.0/13, the
                         Winnti umbrella operators) and --netblock ACTOR=PREFIX;
  after-lookalike-visit  the user's workstation looked up or opened a look-alike
                         of a login domain (Microsoft, Google, and --brand) within
                         --window before, and the sign-in came from an address
                         the user had not signed in from successfully before;
  impossible-travel      with --mmdb: the user's previous successful sign-in was
                         too far away for the time between them (> --max-speed).

A user's workstation comes from --users (CSV "user,ip", e.g. DHCP leases joined
with AD logons); users not in it are joined through the private addresses
they themselves signed in from successfully. Known sign-in addresses are
learned from the input itself, so give it the week of sign-ins before the
days of interest: a user's first sign-in from home after a click is otherwise
indistinguishable from the attacker's. Allow-listed domains (umbra intel
allowlist) and the users' own e-mail domains are never look-alike visits.

Each finding carries a confidence (0-100), the evidence in sentences, and the
events it rests on. Findings are recorded in the knowledge store (unless
--no-record or --no-intel): a sighting of the matched intel indicator, or an
umbra-detect indicator of the source address; one from an operator netblock
"indicates" the netblock's owner, evidence for umbra attribute. The look-alike
visits behind a finding are recorded as look-alike domains. All inputs are open at once while they are merged by
time. A summary goes to standard error.`,
		Example: `  # the HR user's workstation resolved account.microsoftssonline.com at 09:14,
  # someone signed in as her from 45.76.33.20 at 10:07:
  umbra signins entra_signins.json google_login.json /opt/zeek/logs/2018-05-24/ \
      --users leases.csv --mmdb GeoLite2-City.mmdb
  2018-05-24T10:07:31Z after-lookalike-visit confidence 85  hana.rossi@lanternpeak.example from 45.76.33.20 (success, Office 365 Exchange Online)
      10.20.1.15 is a workstation of hana.rossi@lanternpeak.example: per the host list
      visited account.microsoftssonline.com from 10.20.1.15 at 2018-05-24T09:14:02Z (dns), 53m29s before the sign-in: look-alike of microsoftonline.com, insertion, score 80
      ...

  # JSON lines for a SIEM; only the successful ones
  umbra signins --json signin/ zeek/ | jq 'select(.result=="success")'`,
		Args: cobra.MinimumNArgs(1),
		RunE: runSignins,
	}
	jsonFlag(cmd)
	f := cmd.Flags()
	f.String("mmdb", "", "MaxMind DB (GeoLite2-City or -Country) for impossible travel")
	f.String("users", "", `CSV of "user,ip" pairs mapping users to their workstations`)
	f.StringArray("brand", nil, "extra login domain whose look-alikes count (repeatable); Microsoft and Google are built in")
	f.StringArray("netblock", nil, "extra operator netblock as ACTOR=PREFIX (repeatable)")
	f.Duration("window", signin.DefaultWindow, "how long before a sign-in a look-alike visit counts")
	f.Float64("max-speed", signin.DefaultMaxSpeedKmh, "travel speed in km/h above which two sign-ins are impossible")
	f.Bool("no-intel", false, "do not open the knowledge store; skip the intel-ip rule and recording")
	f.Bool("no-record", false, "do not record the findings in the knowledge store")
	rootCmd.AddCommand(cmd)
}

func runSignins(cmd *cobra.Command, args []string) error {
	ctx := ctxOf(cmd)
	flags := cmd.Flags()
	cfg := signin.Config{Netblocks: signin.DefaultNetblocks()}
	cfg.Window, _ = flags.GetDuration("window")
	cfg.MaxSpeedKmh, _ = flags.GetFloat64("max-speed")
	nbs, _ := flags.GetStringArray("netblock")
	for _, s := range nbs {
		nb, err := signin.ParseNetblock(s)
		if err != nil {
			return exitCode(2, fmt.Errorf("--netblock: %v", err))
		}
		cfg.Netblocks = append(cfg.Netblocks, nb)
	}
	brands, _ := flags.GetStringArray("brand")
	la, err := lookalike.New(brands, lookalike.Options{})
	if err != nil {
		return exitCode(2, fmt.Errorf("--brand: %v", err))
	}
	cfg.Lookalike = la
	// The allow list that keeps popular domains out of matching also keeps
	// them from being look-alike visits (wns.windows.com, Microsoft's own,
	// resembles windows.net).
	dir, err := dataDir(cmd)
	if err != nil {
		return err
	}
	allow, badAllow, err := allowlist.Load(dir)
	if err != nil {
		return err
	}
	for _, b := range badAllow {
		fmt.Fprintf(os.Stderr, "allow-list: %s\n", b)
	}
	cfg.Allow = func(name string) bool {
		_, ok := allow.Covers(&indicator.Indicator{Type: indicator.Domain, Value: name})
		return ok
	}

	if path, _ := flags.GetString("users"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return exitCode(2, err)
		}
		hosts, st, err := signin.LoadUsers(f, path)
		f.Close()
		if err != nil {
			return err
		}
		for _, e := range st.Errors {
			fmt.Fprintf(os.Stderr, "skipped: %v\n", e)
		}
		if st.Bad > len(st.Errors) {
			fmt.Fprintf(os.Stderr, "skipped %d more bad lines in %s\n", st.Bad-len(st.Errors), path)
		}
		cfg.Hosts = hosts
	}
	if path, _ := flags.GetString("mmdb"); path != "" {
		geo, err := signin.OpenMMDB(path)
		if err != nil {
			return exitCode(2, err)
		}
		defer geo.Close()
		cfg.Geo = geo
	}
	if noIntel, _ := flags.GetBool("no-intel"); !noIntel {
		st, err := openStore(cmd)
		if err != nil {
			return err
		}
		snap, err := compileSnapshot(ctx, cmd, st, os.Stderr)
		if err != nil {
			st.Close()
			return err
		}
		cfg.Intel = signin.SnapshotIntel(snap)
		// The store's netblocks include the built-in one unless the
		// analyst revoked it, and any imported since.
		stored, badNB, err := signin.StoreNetblocks(ctx, st)
		if err != nil {
			st.Close()
			return err
		}
		for _, b := range badNB {
			fmt.Fprintf(os.Stderr, "skipped: %v\n", b)
		}
		cfg.Netblocks = append(stored, cfg.Netblocks[len(signin.DefaultNetblocks()):]...)
		for i := len(stored); i < len(cfg.Netblocks); i++ {
			// An actor the store knows gets the findings as evidence.
			if nb := &cfg.Netblocks[i]; nb.Actor != "" {
				if a, err := knowledge.ResolveActor(ctx, st, nb.Actor); err == nil && len(a.IDs) > 0 {
					nb.ActorID = a.IDs[0]
				}
			}
		}
		st.Close()
	}

	// Every input is open at once so that the merge can interleave them by
	// time: a visit in dns.log must reach the detector before the sign-in
	// in the Entra export that follows it.
	var decs []source.Decoder
	var bad int64
	for _, p := range args {
		inputs, err := source.Open(p)
		if err != nil {
			return err
		}
		for _, in := range inputs {
			s, err := in.Open()
			if err != nil {
				fmt.Fprintf(os.Stderr, "umbra: %v\n", err)
				bad++
				continue
			}
			defer s.Close()
			dec, err := s.Decoder()
			if err != nil {
				fmt.Fprintf(os.Stderr, "umbra: %s: %v\n", in.Path, err)
				bad++
				continue
			}
			decs = append(decs, dec)
		}
	}
	merge := signin.NewMerge(decs, func(err error) {
		bad++
		if bad <= 20 {
			fmt.Fprintf(os.Stderr, "skipped: %v\n", err)
		}
	})

	det := signin.New(cfg)
	found := sighting.NewDetections()
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	asJSON := wantJSON(cmd)
	var ev event.Event
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := merge.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for _, f := range det.Observe(&ev) {
			recordSignIn(found, la, f)
			if asJSON {
				err = enc.Encode(f)
			} else {
				err = printFinding(out, f)
			}
			if err != nil {
				return err
			}
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	noIntel, _ := flags.GetBool("no-intel")
	if noRecord, _ := flags.GetBool("no-record"); !noRecord && !noIntel && found.Len() > 0 {
		st, err := openStore(cmd)
		if err != nil {
			return err
		}
		err = recordDetections(ctx, st, found, strings.Join(args, " "), os.Stderr)
		st.Close()
		if err != nil {
			return err
		}
	}
	st := det.Stats()
	var kinds []string
	var total int64
	for k, n := range st.Findings {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		total += n
	}
	sort.Strings(kinds)
	byKind := ""
	if len(kinds) > 0 {
		byKind = " (" + strings.Join(kinds, " ") + ")"
	}
	fmt.Fprintf(os.Stderr, "read %d events from %d inputs: %d sign-ins (%d without user or address), %d look-alike visits; %d findings%s; %d bad records or inputs skipped\n",
		st.Events, len(decs), st.SignIns, st.SkippedSignIns, st.LookalikeVisits, total, byKind, bad)
	return nil
}

// printFinding writes one finding for a person: a headline, then the
// evidence indented.
func printFinding(w io.Writer, f signin.Finding) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s confidence %d  %s from %s", f.Time.UTC().Format("2006-01-02T15:04:05Z"), f.Kind, f.Confidence, f.User, f.SrcIP)
	var what []string
	if f.Result != "" {
		what = append(what, f.Result)
	}
	if f.App != "" {
		what = append(what, f.App)
	}
	if len(what) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(what, ", "))
	}
	if f.Actor != "" {
		fmt.Fprintf(&b, " actor %s", f.Actor)
	}
	b.WriteByte('\n')
	for _, e := range f.Evidence {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// recordSignIn adds a finding, and the look-alike visits it rests on, to
// the detections to record.
func recordSignIn(found *sighting.Detections, la *lookalike.Detector, f signin.Finding) {
	if fd, ok := sighting.SignIn(f); ok {
		found.Add(fd)
	}
	for _, r := range f.Related {
		if r.Kind == event.KindSignIn.String() || r.Value == "" {
			continue
		}
		lf, ok := la.Check(r.Value)
		if !ok {
			continue
		}
		host := ""
		if r.SrcIP.IsValid() {
			host = r.SrcIP.String()
		}
		where := map[string]string{"dns": "dns.query", "http": "http.host", "tls": "tls.sni"}[r.Kind]
		if where == "" {
			where = r.Kind
		}
		if fd, ok := sighting.Lookalike(lf, r.Time, r.Sensor, where, host); ok {
			found.Add(fd)
		}
	}
}
