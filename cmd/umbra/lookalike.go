package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/sighting"
)

var lookalikeCmd = &cobra.Command{
	Use:   "lookalike [--brand DOMAIN]... PATH...",
	Short: "Find look-alike domains of a brand in domain lists, or list permutations",
	Long: `lookalike finds domains that imitate a brand: typos (omission, insertion,
transposition, keyboard replacement, bit flips, ...), homoglyphs and IDN
look-alikes in Cyrillic, Greek, Armenian or fullwidth letters, the brand inside
a longer name (login-microsoft-verify.com), as a subdomain of another domain
(microsoft.com.evil.net), split by a dot (goo.gle.com) or under another suffix
(gmail.sa.com). It normalises each observed name and compares it with the
brand, so variants no permutation list contains are found too.

Without --brand it looks for the Microsoft / Office 365 and Google / Gmail login
domains the Winnti umbrella imitated. With --brand it looks for those brands
only (add --defaults to keep the built-in ones). A brand is a registered domain:
accounts.google.com means google.com.

Each PATH is a plain list of domain names, one per line ('#' starts a comment);
'-' reads standard input. Lines that are not domain names are reported on
standard error with file and line, and skipped.

Every find is recorded in the knowledge store (unless --no-record) as an
indicator from source umbra-detect, labelled with the fuzzer, brand, distance
and score, and a sighting of it (sensor: the list's path, time: its
modification time), so that umbra attribute and later matches use it.

Exit status: 0 when look-alikes were found, 1 when none, 2 on bad usage or an
unreadable file.`,
	Example: `  # Burning Umbrella phishing names against the default Microsoft/Google brands
  printf 'account.microsoftssonline.com\naccounts.google-acc.com\nwww.google.com\n' | umbra lookalike -

  # your own brand, JSON lines for a SIEM
  umbra lookalike --brand example-studio.com --json dns-names.txt

  # permutations to pre-register or block, like dnstwist --format list
  umbra lookalike --generate example-studio.com
  umbra lookalike --generate google.com --json | head`,
	Args: func(cmd *cobra.Command, args []string) error {
		gen, _ := cmd.Flags().GetString("generate")
		if gen == "" && len(args) == 0 {
			return exitCode(2, fmt.Errorf("lookalike: give a PATH to scan ('-' for stdin) or --generate DOMAIN"))
		}
		if gen != "" && len(args) > 0 {
			return exitCode(2, fmt.Errorf("lookalike: --generate takes no PATH"))
		}
		return nil
	},
	RunE: runLookalike,
}

func init() {
	f := lookalikeCmd.Flags()
	f.StringArray("brand", nil, "brand domain to protect (repeatable); default: Microsoft and Google login domains")
	f.Bool("defaults", false, "keep the built-in Microsoft/Google brands when --brand is given")
	f.StringArray("allow", nil, "registered domain never to flag (repeatable)")
	f.String("dictionary", "", "file of extra words (one per line) phishers put beside a brand")
	f.String("tld", "", "file of TLDs (one per line) for --generate's tld-swap permutations")
	f.Int("min-score", 0, "report only finds scoring at least this (0-100)")
	f.String("generate", "", "list permutations of `DOMAIN` instead of scanning")
	f.Bool("no-record", false, "do not record the finds in the knowledge store")
	jsonFlag(lookalikeCmd)
	rootCmd.AddCommand(lookalikeCmd)
}

func runLookalike(cmd *cobra.Command, args []string) error {
	flags := cmd.Flags()
	brands, _ := flags.GetStringArray("brand")
	keepDefaults, _ := flags.GetBool("defaults")
	allow, _ := flags.GetStringArray("allow")
	minScore, _ := flags.GetInt("min-score")
	gen, _ := flags.GetString("generate")
	opts := lookalike.Options{NoDefaultBrands: len(brands) > 0 && !keepDefaults, Allow: allow}
	var err error
	if p, _ := flags.GetString("dictionary"); p != "" {
		if opts.Dictionary, err = readWords(p); err != nil {
			return exitCode(2, err)
		}
	}
	if p, _ := flags.GetString("tld"); p != "" {
		if opts.TLDs, err = readWords(p); err != nil {
			return exitCode(2, err)
		}
	}
	if gen != "" {
		opts.NoDefaultBrands = true
		brands = []string{gen}
	}
	det, err := lookalike.New(brands, opts)
	if err != nil {
		return exitCode(2, err)
	}
	out := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
	defer out.Flush()
	asJSON := wantJSON(cmd)
	if gen != "" {
		return printPermutations(out, det.Generate(gen), asJSON)
	}

	finds, bad := 0, 0
	found := sighting.NewDetections()
	var seenAt time.Time
	var sensor string
	emit := func(f lookalike.Find) {
		if f.Score < minScore {
			return
		}
		finds++
		if fd, ok := sighting.Lookalike(f, seenAt, sensor, "domain-list", ""); ok {
			found.Add(fd)
		}
		if asJSON {
			b, _ := json.Marshal(struct {
				Domain   string `json:"domain"`
				Brand    string `json:"brand"`
				Fuzzer   string `json:"fuzzer"`
				Distance int    `json:"distance"`
				Score    int    `json:"score"`
				IDN      bool   `json:"idn,omitempty"`
			}{f.Domain, f.Brand, string(f.Fuzzer), f.Distance, f.Score, f.IDN})
			out.Write(append(b, '\n'))
			return
		}
		fmt.Fprintln(out, f.Explain())
	}
	for _, path := range args {
		var r io.Reader = cmd.InOrStdin()
		name := "stdin"
		seenAt = time.Now()
		if path != "-" {
			fh, err := os.Open(path)
			if err != nil {
				return exitCode(2, err)
			}
			defer fh.Close()
			r, name = fh, path
			if fi, err := fh.Stat(); err == nil {
				seenAt = fi.ModTime()
			}
		}
		sensor = name
		st, err := det.Scan(r, name, emit)
		for _, e := range st.Errors {
			fmt.Fprintln(cmd.ErrOrStderr(), "umbra: skipped", e)
		}
		if st.Bad > len(st.Errors) {
			fmt.Fprintf(cmd.ErrOrStderr(), "umbra: %s: %d more bad lines skipped\n", name, st.Bad-len(st.Errors))
		}
		bad += st.Bad
		if err != nil {
			return exitCode(2, err)
		}
	}
	if err := out.Flush(); err != nil {
		return exitCode(2, err)
	}
	if noRecord, _ := flags.GetBool("no-record"); !noRecord && found.Len() > 0 {
		st, err := openStore(cmd)
		if err != nil {
			return fmt.Errorf("recording the finds (--no-record skips it): %w", err)
		}
		defer st.Close()
		if err := recordDetections(ctxOf(cmd), st, found, strings.Join(args, " "), cmd.ErrOrStderr()); err != nil {
			return err
		}
	}
	if finds == 0 {
		return exitCode(1, nil)
	}
	return nil
}

func printPermutations(w io.Writer, perms []lookalike.Permutation, asJSON bool) error {
	if len(perms) == 0 {
		return exitCode(2, fmt.Errorf("lookalike: no registered domain to permute"))
	}
	enc := json.NewEncoder(w)
	for _, p := range perms {
		if asJSON {
			if err := enc.Encode(p); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(w, p.Domain)
	}
	return nil
}

// readWords reads a word list: one word per line, '#' comments and blank
// lines skipped.
func readWords(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var words []string
	for i, l := range strings.Split(string(b), "\n") {
		if j := strings.IndexByte(l, '#'); j >= 0 {
			l = l[:j]
		}
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.ContainsAny(l, " \t/:") {
			return nil, fmt.Errorf("%s:%d: %q is not a single word", path, i+1, l)
		}
		words = append(words, strings.ToLower(l))
	}
	return words, nil
}

// recordDetections stores what the detectors found (look-alike domains,
// suspicious sign-ins, stolen certificates) as umbra-detect indicators and
// sightings, and says how many on w.
func recordDetections(ctx context.Context, st knowledge.Store, found *sighting.Detections, path string, w io.Writer) error {
	if found.Len() == 0 {
		return nil
	}
	n, err := found.Store(ctx, st, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "recorded %d detections as %d STIX objects (source %s)\n", found.Len(), n, sighting.DetectSource)
	return nil
}
