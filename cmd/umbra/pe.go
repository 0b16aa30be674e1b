package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/detect/codesign"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/stix"
)

func init() {
	peCmd := &cobra.Command{
		Use:     "pe",
		Short:   "Inspect PE files (Authenticode signatures)",
		Example: "  umbra pe scan --json /opt/zeek/extract_files/",
	}
	scanCmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Authenticode signers, verdicts and stolen-certificate matches",
		Long: `Scan PE files and directories (recursively) and report, for each file, the
Authenticode image digest, whether it matches the signed digest, the signer
and its chain (subject, issuer, serial, SHA-1/SHA-256 thumbprints, validity),
the timestamp, and verdicts:

  stolen-certificate  signer or chain certificate is in the --stolen list
  tampered            digest mismatch or the signature does not verify
  expired             signer certificate outside its validity at the
                      timestamp (or now, without a timestamp)
  self-signed         signer certificate is its own issuer
  publisher-mismatch  version-info CompanyName is not the signer's O=/CN=
  valid               none of the above problems (trust in the CA is not checked)
  unsigned            no signature

The first verdict listed is the primary one. Non-PE files are reported as
skipped. The exit status is 0 whatever the findings; 2 means bad usage.

Example: check a Zeek extraction folder against the Burning Umbrella
stolen-certificate serials (ProtectWise 401TRG, Area 6):

  umbra pe scan --stolen 20180503_Burning_Umbrella_Area_6_indicators.csv \
      /opt/zeek/extract_files/

  /opt/zeek/extract_files/extract-1521911341.12345-HTTP-FhY3e2  stolen-certificate,publisher-mismatch,valid
      digest SHA256 5c1e0a...  matches
      company name "Microsoft Corporation"
      signer CN=...,O=...,C=KR
          issuer CN=VeriSign Class 3 Code Signing 2010 CA,...
          serial 0F66842B4F9C458B72136F0AE96924B7  sha1 ...
          STOLEN: serial 0F66842B4F9C458B72136F0AE96924B7 listed by 20180503_Burning_Umbrella_Area_6_indicators

  Add --json for one JSON object per file (path, verdict, verdicts, digest,
  digest_matches, signers[] with subject, issuer, serial, sha1, sha256,
  not_before, not_after, signing_time, chain[], stolen[]).

--stolen takes the 401TRG CSV or a plain list of serials, one per line
(prefix a line "sha1:" or "sha256:" for certificate thumbprints).

Files signed with a stolen certificate are recorded in the knowledge store
(unless --no-record): a sighting of the intel indicator that lists the
certificate, or an umbra-detect indicator of its serial or thumbprint, with
the file as the host and its modification time as the time seen.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitCode(2, errors.New("pe scan: name at least one file or directory"))
			}
			return nil
		},
		RunE: runPEScan,
	}
	scanCmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitCode(2, err) })
	jsonFlag(scanCmd)
	scanCmd.Flags().StringArray("stolen", nil, "file of stolen code-signing certificate serials/thumbprints (repeatable)")
	scanCmd.Flags().Bool("no-record", false, "do not record stolen-certificate finds in the knowledge store")
	peCmd.AddCommand(scanCmd)
	rootCmd.AddCommand(peCmd)
}

func runPEScan(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		// A path named on the command line that does not exist is a
		// typo, not a finding; unreadable files found inside directories
		// are reported per file instead.
		if _, err := os.Stat(a); err != nil {
			return exitCode(2, err)
		}
	}
	var stolen codesign.StolenSet
	files, _ := cmd.Flags().GetStringArray("stolen")
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return exitCode(2, fmt.Errorf("--stolen: %v", err))
		}
		st := stolen.Load(f, name)
		f.Close()
		for _, e := range st.Errors {
			fmt.Fprintln(cmd.ErrOrStderr(), "umbra: warning:", e)
		}
		if st.Added == 0 {
			return exitCode(2, fmt.Errorf("--stolen %s: no certificate serials or thumbprints found", name))
		}
	}
	// Every code-signing certificate serial in the knowledge store counts
	// as stolen too: that is how intel such as 401TRG's Area 6 reaches the
	// scanner without a flag.
	if st, err := openStore(cmd); err == nil {
		inds, err := intel.ActiveIndicators(ctxOf(cmd), st, st, intel.Selection{TLPMax: stix.TLPRed})
		st.Close()
		if err != nil {
			return err
		}
		for _, ind := range inds {
			if ind.Type == indicator.CertSerial {
				stolen.Add(codesign.MatchSerial, ind.Value, strings.Join(ind.Sources, ","), strings.Join(ind.IDs, ","))
			}
		}
	}
	sc := codesign.Scanner{Stolen: &stolen}
	out := cmd.OutOrStdout()
	asJSON := wantJSON(cmd)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	found := sighting.NewDetections()
	err := sc.Walk(args, func(r codesign.Result) error {
		if r.Has(codesign.StolenCertificate) {
			seen := time.Now()
			if fi, err := os.Stat(r.Path); err == nil {
				seen = fi.ModTime()
			}
			for _, f := range sighting.CodeSign(r, seen, "pe-scan") {
				found.Add(f)
			}
		}
		if asJSON {
			return enc.Encode(r)
		}
		return r.WriteText(out)
	})
	if err != nil {
		return err
	}
	if noRecord, _ := cmd.Flags().GetBool("no-record"); !noRecord && found.Len() > 0 {
		st, err := openStore(cmd)
		if err != nil {
			return fmt.Errorf("recording stolen-certificate finds (--no-record skips it): %w", err)
		}
		defer st.Close()
		return recordDetections(ctxOf(cmd), st, found, strings.Join(args, " "), cmd.ErrOrStderr())
	}
	return nil
}
