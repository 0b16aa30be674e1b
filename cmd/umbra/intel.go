package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/export"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/stix"
)

var intelCmd = &cobra.Command{
	Use:     "intel",
	Short:   "Import, export and inspect threat intelligence",
	Example: "  umbra intel import threat-actor.json\n  umbra intel export --format zeek-intel -o umbra.intel\n  umbra intel lookup google-statics.com",
}

func init() {
	imp := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import intel files (format detected, or --format)",
		Long: `Import threat intelligence into the knowledge store. Each file is imported in one
transaction: a file that cannot be read to the end stores nothing; bad records
are reported with their position and skipped, and the command then exits 1.
Importing the same file again changes nothing.

Formats: stix (STIX 2.1 and 2.0 bundles, including MITRE ATT&CK), galaxy (MISP
galaxy cluster files such as threat-actor.json), misp (event JSON, or a feed
folder with manifest.json), csv (header-driven, e.g. Burning Umbrella's
Indicator,Type,Description,Reference), plain (one value per line, refanged),
maltrail, zeek-intel and openioc.`,
		Example: `  umbra intel import misp-galaxy/clusters/threat-actor.json
  umbra intel import --source mitre-attack enterprise-attack.json
  umbra intel import --source 401trg --actor "Winnti umbrella" --confidence 70 \
      --report "Burning Umbrella Area 6" 20180503_Burning_Umbrella_Area_6_indicators.csv
  cat bundle.json | umbra intel import --format stix -`,
		Args: cobra.MinimumNArgs(1),
		RunE: runImport,
	}
	imp.Flags().String("format", "", "input format: stix, galaxy, misp, csv, plain, maltrail, zeek-intel, openioc (default: detected)")
	imp.Flags().String("actor", "", "attribute the imported indicators to this actor or umbrella")
	imp.Flags().Int("confidence", 0, "confidence (0-100) of --actor and of the imported indicators")
	imp.Flags().String("report", "", "create a STIX report of this title holding the imported objects")
	imp.Flags().String("source", "", "who published the data (default: detected from the file)")
	imp.Flags().String("tlp", "clear", "TLP for objects that carry no marking: clear|green|amber|amber+strict|red")
	jsonFlag(imp)

	exp := &cobra.Command{
		Use:   "export",
		Short: "Export intel as STIX, MISP, Zeek intel, Suricata, CSV or an ATT&CK Navigator layer",
		Example: `  umbra intel export --format stix -o all.json
  umbra intel export --format stix --actor "Winnti umbrella" --tlp-max green
  umbra intel export --format zeek-intel -o umbra.intel
  umbra intel export --format suricata -o suricata-rules/      (a directory)
  umbra intel export --format navigator --actor "Winnti umbrella" -o layer.json`,
		Args: cobra.NoArgs,
		RunE: runExport,
	}
	exp.Flags().String("format", "stix", "output format: "+strings.Join(export.Formats, ", "))
	exp.Flags().String("actor", "", "export only what concerns this actor or umbrella")
	exp.Flags().StringP("output", "o", "-", "output file (- for standard output)")
	exp.Flags().String("tlp-max", "red", "leave out objects marked above this TLP level")

	stats := &cobra.Command{
		Use:     "stats",
		Short:   "Count what the knowledge store holds",
		Example: "  umbra intel stats --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			s, err := st.Stats(ctxOf(cmd))
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return json.NewEncoder(os.Stdout).Encode(s)
			}
			fmt.Printf("objects: %d (versions: %d), names: %d, imports: %d\n", s.Objects, s.Versions, s.Names, s.Imports)
			printCounts("by type", s.ByType)
			printCounts("by source", s.Sources)
			return nil
		},
	}
	jsonFlag(stats)
	intelCmd.AddCommand(imp, exp, stats)
	rootCmd.AddCommand(intelCmd)
}

func printCounts(title string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Printf("%s:\n", title)
	for _, k := range keys {
		fmt.Printf("  %-24s %d\n", k, m[k])
	}
}

func runImport(cmd *cobra.Command, args []string) error {
	format, _ := cmd.Flags().GetString("format")
	source, _ := cmd.Flags().GetString("source")
	tlpFlag, _ := cmd.Flags().GetString("tlp")
	tlp, err := stix.ParseTLP(tlpFlag)
	if err != nil {
		return err
	}
	actor, _ := cmd.Flags().GetString("actor")
	confidence, _ := cmd.Flags().GetInt("confidence")
	report, _ := cmd.Flags().GetString("report")
	if confidence < 0 || confidence > 100 {
		return fmt.Errorf("--confidence %d is outside 0-100", confidence)
	}
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	failed := 0
	for _, path := range args {
		bar := newProgress("importing " + path)
		res, err := intel.Import(ctxOf(cmd), st, path, intel.Options{Format: format, Source: source, TLP: tlp,
			Progress: bar.set, Actor: actor, Confidence: confidence, Report: report})
		bar.done()
		if wantJSON(cmd) {
			json.NewEncoder(os.Stdout).Encode(res)
		} else if res.Format != "" {
			s := res.Summary
			fmt.Printf("%s: %s from %s: %d objects read, %d new, %d updated, %d unchanged, %d older versions kept as history, %d rejected\n",
				path, res.Format, res.Source, s.Objects, s.New, s.Updated, s.Unchanged, s.Historical, len(res.Rejected))
			if len(res.ByType) > 0 {
				fmt.Printf("  %s\n", strings.Join(res.TypeCounts(), " "))
			}
			for _, n := range res.Notes {
				fmt.Printf("  note: %s\n", n)
			}
		}
		for i, r := range res.Rejected {
			if i == 20 {
				fmt.Fprintf(os.Stderr, "  ... and %d more rejected\n", len(res.Rejected)-20)
				break
			}
			fmt.Fprintf(os.Stderr, "  rejected: %s\n", r)
		}
		if err != nil {
			failed++
			if !errors.Is(err, intel.ErrRejected) {
				fmt.Fprintf(os.Stderr, "umbra: %v (nothing from this file was stored)\n", err)
			}
		}
	}
	// New intel changes the snapshot: re-scan the stored history for it.
	if err := retroHunt(cmd, st, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "umbra: retro-hunt: %v\n", err)
		failed++
	}
	if failed > 0 {
		return exitCode(1, fmt.Errorf("%d of %d inputs had errors", failed, len(args)))
	}
	return nil
}

func runExport(cmd *cobra.Command, args []string) error {
	format, _ := cmd.Flags().GetString("format")
	actor, _ := cmd.Flags().GetString("actor")
	out, _ := cmd.Flags().GetString("output")
	tlpFlag, _ := cmd.Flags().GetString("tlp-max")
	tlpMax, err := stix.ParseTLP(tlpFlag)
	if err != nil {
		return err
	}
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	dir, err := dataDir(cmd)
	if err != nil {
		return err
	}
	allow, bad, err := allowlist.Load(dir)
	if err != nil {
		return err
	}
	for _, b := range bad {
		fmt.Fprintf(os.Stderr, "allow-list: %s\n", b)
	}
	opt := export.Options{Format: format, Actor: actor, TLPMax: tlpMax, Allow: allow}
	if export.DirFormat(format) {
		if out == "-" {
			return fmt.Errorf("--format %s writes several files: pass -o DIR", format)
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		res, err := export.Write(ctxOf(cmd), st, nil, out, opt)
		reportExport(res, out)
		return err
	}
	var w io.Writer = os.Stdout
	var f *os.File
	if out != "-" {
		// Write beside the target and rename, so a failed export never
		// leaves a half-written file under the requested name.
		f, err = os.CreateTemp(dirOf(out), ".umbra-export-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		w = f
	}
	res, err := export.Write(ctxOf(cmd), st, w, "", opt)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(f.Name(), out); err != nil {
			return err
		}
	}
	reportExport(res, out)
	return nil
}

func reportExport(res export.Result, out string) {
	if out == "-" {
		out = "standard output"
	}
	fmt.Fprintf(os.Stderr, "wrote %d to %s", res.Written, out)
	if len(res.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, "; %d left out (the format cannot hold them), e.g. %s", len(res.Skipped), res.Skipped[0])
	}
	fmt.Fprintln(os.Stderr)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}

func init() {
	lookup := &cobra.Command{
		Use:   "lookup VALUE",
		Short: "Show every source, report, actor and sighting of a value",
		Long: `Look a value up in the correlation index: every indicator or observable that
carries it, who published it, which reports hold it, which actors it
points to, and where and when it was sighted in telemetry. An address is
also looked up in the networks (CIDR indicators, /8 or narrower) that hold
it. Defanged values (hxxp, [.]) are accepted. A value carried by very many
unrelated objects (a sinkhole, shared hosting) is reported as
over-correlating instead of listed.`,
		Example: `  umbra intel lookup 'css.google-statics[.]com'
  umbra intel lookup 221.216.5.9 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := intel.Lookup(ctxOf(cmd), st, st, args[0])
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return json.NewEncoder(os.Stdout).Encode(res)
			}
			fmt.Printf("%s (%s)\n", res.Value, res.Type)
			if res.OverCorrelated {
				fmt.Printf("  over-correlating: carried by %d objects; not listed\n", res.Count)
				return nil
			}
			if len(res.Seen) == 0 {
				fmt.Println("  not in any source")
				return exitCode(1, nil)
			}
			for _, s := range res.Seen {
				fmt.Print("  ")
				if s.Within != "" {
					fmt.Printf("within %s: ", s.Within)
				}
				fmt.Printf("%s %s  sources: %s", s.Type, s.ID, strings.Join(s.Sources, ", "))
				if len(s.Actors) > 0 {
					fmt.Printf("  actors: %s", strings.Join(s.Actors, ", "))
				}
				if len(s.Reports) > 0 {
					fmt.Printf("  reports: %s", strings.Join(s.Reports, "; "))
				}
				fmt.Println()
				for _, o := range s.Observed {
					if o.Count == 1 {
						fmt.Printf("    sighted once, %s", o.FirstSeen)
					} else {
						fmt.Printf("    sighted %d times, %s to %s", o.Count, o.FirstSeen, o.LastSeen)
					}
					if o.Sensor != "" {
						fmt.Printf(", by %s", o.Sensor)
					}
					if len(o.Where) > 0 {
						fmt.Printf(" in %s", strings.Join(o.Where, ", "))
					}
					switch n := len(o.Hosts); {
					case n == 1:
						fmt.Printf(", host %s", o.Hosts[0])
					case n > 1:
						fmt.Printf(", %d hosts (%s", n, strings.Join(o.Hosts[:min(n, 5)], ", "))
						if n > 5 {
							fmt.Print(", …")
						}
						fmt.Print(")")
					}
					fmt.Println()
				}
			}
			return nil
		},
	}
	jsonFlag(lookup)
	intelCmd.AddCommand(lookup)
}

func init() {
	al := &cobra.Command{
		Use:   "allowlist [add|remove VALUE...]",
		Short: "Show or edit the allow-lists that keep noisy values out of matching and exports",
		Long: `Allow-listed values (umbra's warning lists) never raise alerts and are left out of
sensor exports; every value left out is reported. Built in: reserved and private
address ranges, public DNS resolvers, the most popular domains. Add your CDN and
shared-hosting ranges, sinkholes and own domains; a domain covers its subdomains.
The user list lives in DATA/allowlist.txt, one value per line.`,
		Example: `  umbra intel allowlist
  umbra intel allowlist add 151.101.0.0/16 sinkhole.example.net
  umbra intel allowlist remove 151.101.0.0/16
  umbra intel allowlist --json | jq 'map(select(.list=="user"))'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := dataDir(cmd)
			if err != nil {
				return err
			}
			if len(args) > 0 {
				switch args[0] {
				case "add":
					return allowlist.Edit(dir, args[1:], nil)
				case "remove":
					return allowlist.Edit(dir, nil, args[1:])
				default:
					return fmt.Errorf("unknown allowlist action %q (want add or remove)", args[0])
				}
			}
			set, bad, err := allowlist.Load(dir)
			if err != nil {
				return err
			}
			for _, b := range bad {
				fmt.Fprintf(os.Stderr, "allow-list: %s\n", b)
			}
			entries := set.Entries()
			sort.Slice(entries, func(i, j int) bool {
				if entries[i].List != entries[j].List {
					return entries[i].List < entries[j].List
				}
				return entries[i].Value < entries[j].Value
			})
			if wantJSON(cmd) {
				return json.NewEncoder(os.Stdout).Encode(entries)
			}
			for _, e := range entries {
				fmt.Printf("%-18s %s\n", e.List, e.Value)
			}
			return nil
		},
	}
	jsonFlag(al)
	intelCmd.AddCommand(al)
}
