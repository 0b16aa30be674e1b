package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/simulate"
)

func init() {
	var opts simulate.Options
	var start string
	cmd := &cobra.Command{
		Use:   "simulate --out DIR",
		Short: "Generate a scenario: a game studio's telemetry with a Winnti-umbrella intrusion, intel and ground truth",
		Long: `Generate a realistic scenario for demos, tests and benchmarks: a game studio
(10.20.0.0/16: workstations incl. HR, build servers, a code-signing server,
file servers) whose Zeek logs, cloud sign-in logs and PE files carry an
intrusion as ProtectWise's "Burning Umbrella" report describes the Winnti
umbrella: résumé lures to HR, Office 365 / Gmail look-alike phishing,
sign-ins from attacker infrastructure, C2 on 53/80/443 to per-target
subdomains that park on 127.0.0.1, an internal scan, an implant signed with
a stolen code-signing certificate, and RDP sessions straight from
221.216.0.0/13 (China Unicom Beijing).

Written under DIR:
  zeek/{conn,dns,http,ssl,x509,files}.log   Zeek TSV
  pcap/scenario.pcap                        with --pcap: DNS, ClientHellos, HTTP requests
  intel/initial.csv, intel/later.csv        first feed (part of the infrastructure), later feed (the rest)
  intel/initial.stix.json, later.stix.json  the same feeds as STIX 2.1 bundles
  signin/entra_signins.json, signin/google_login.json
  pe/*.exe                                  signed, unsigned, and signed with the stolen certificate
  geo.mmdb                                  ASN + country of every address used
  truth.jsonl                               one line per malicious record (uid, log, kind, indicator)

The same flags give byte-identical output.

Example: a week of a 50-host studio, then hunt it with the first feed:

  umbra simulate --out /tmp/scenario --hosts 50 --days 7 --seed 1 --pcap
  umbra pe scan --stolen /tmp/scenario/intel/initial.csv /tmp/scenario/pe/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Out == "" {
				return exitCode(2, errors.New("simulate: --out DIR is required"))
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					if t, err = time.Parse("2006-01-02", start); err != nil {
						return exitCode(2, fmt.Errorf("simulate: --start %q: want RFC 3339 or YYYY-MM-DD", start))
					}
				}
				opts.Start = t
			}
			began := time.Now()
			sum, err := simulate.Generate(cmd.Context(), opts)
			if err != nil {
				return err
			}
			elapsed := time.Since(began)
			if wantJSON(cmd) {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(sum)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "scenario in %s: %d hosts, %d days from %s, seed %d\n", sum.Out, sum.Hosts, sum.Days,
				sum.Start.Format("2006-01-02"), sum.Seed)
			fmt.Fprintf(w, "  zeek     conn %d  dns %d  http %d  ssl %d  x509 %d  files %d\n",
				sum.Conn, sum.DNS, sum.HTTP, sum.SSL, sum.X509, sum.Files)
			fmt.Fprintf(w, "  signin   %d records\n", sum.SignIns)
			if sum.Packets > 0 {
				fmt.Fprintf(w, "  pcap     %d packets\n", sum.Packets)
			}
			fmt.Fprintf(w, "  intel    initial %d, later %d indicators\n", sum.IntelFirst, sum.IntelLater)
			fmt.Fprintf(w, "  pe       %d files\n", sum.PEFiles)
			fmt.Fprintf(w, "  truth    %d malicious records\n", sum.Truth)
			secs := elapsed.Seconds()
			fmt.Fprintf(w, "  %d events, %.1f MB in %.1fs (%.0f events/s)\n", sum.Events(), float64(sum.Bytes)/1e6, secs,
				float64(sum.Events())/secs)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Out, "out", "", "output directory (created if missing)")
	cmd.Flags().IntVar(&opts.Hosts, "hosts", 50, "hosts in the organisation (at least 16)")
	cmd.Flags().IntVar(&opts.Days, "days", 7, "days of telemetry")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "random seed; the same seed gives the same files")
	cmd.Flags().BoolVar(&opts.PCAP, "pcap", false, "also write pcap/scenario.pcap")
	cmd.Flags().IntVar(&opts.Workers, "workers", 0, "days generated at once (default: one per CPU; the output does not depend on it)")
	cmd.Flags().StringVar(&start, "start", "", "first day, RFC 3339 or YYYY-MM-DD (default "+simulate.DefaultStart.Format("2006-01-02")+")")
	jsonFlag(cmd)
	rootCmd.AddCommand(cmd)
}
