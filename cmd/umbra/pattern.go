package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/stix/pattern"
)

func init() {
	cmd := &cobra.Command{
		Use:   "pattern",
		Short: "Check STIX 2.1 patterns and match them against observed-data",
		Long: `STIX indicators carry their detection logic as STIX patterns. These commands
check a pattern the way the OASIS validator does and evaluate it the way the
OASIS matcher (stix2-matcher) does, with umbra's own parser and evaluator.`,
		Example: `  umbra pattern check "[domain-name:value = 'update.example'] OR [ipv4-addr:value = '221.216.5.9']"
  umbra pattern match "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']" observed.json`,
	}
	check := &cobra.Command{
		Use:   "check PATTERN",
		Short: "Check that a STIX pattern is valid (exit 0) or say where it is not (exit 2)",
		Long: `Parse PATTERN with the STIX 2.1 grammar, apply the OASIS validator's checks
(hash values of known algorithms, no repeated qualifier on one expression)
and make sure it can be evaluated (regular expressions, sets of one type,
real calendar dates). On failure the error gives the byte offset and points
at it.`,
		Example: `  umbra pattern check "[ipv4-addr:value ISSUBSET '221.216.0.0/13']"
  valid

  umbra pattern check "[file:hashes.MD5 = ]"; echo $?
  umbra: offset 19: unexpected "]", expecting a literal
  [file:hashes.MD5 = ]
                     ^
  2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			p, err := pattern.Validate(src)
			if err == nil {
				err = p.Err()
			}
			if wantJSON(cmd) {
				out := map[string]any{"valid": err == nil}
				if err != nil {
					out["error"] = err.Error()
					var pe *pattern.Error
					if errors.As(err, &pe) {
						out["offset"] = pe.Offset
					}
				}
				if e := json.NewEncoder(os.Stdout).Encode(out); e != nil {
					return e
				}
				if err != nil {
					return exitCode(2, nil)
				}
				return nil
			}
			if err != nil {
				return exitCode(2, withCaret(err, src))
			}
			fmt.Println("valid")
			return nil
		},
	}
	jsonFlag(check)
	match := &cobra.Command{
		Use:   "match PATTERN OBSERVED.json",
		Short: "Match a STIX pattern against observed-data: prints match (exit 0) or no match (exit 1)",
		Long: `Evaluate PATTERN over the observed-data in OBSERVED.json ("-" reads standard
input) with the semantics of the OASIS matcher: each [ ] binds to one
observed-data object, sightings count number_observed times, and AND, OR,
FOLLOWEDBY, REPEATS, WITHIN and START/STOP combine them over time.
OBSERVED.json may be a bundle (object_refs are resolved in it), a single
observed-data object, or a JSON array of objects or bundles.
Exit status: 0 match, 1 no match, 2 invalid pattern or input.`,
		Example: `  umbra pattern match \
    "[network-traffic:dst_ref.value ISSUBSET '221.216.0.0/13'] FOLLOWEDBY [file:name = 'msupdate.exe'] WITHIN 300 SECONDS" \
    stix/pattern/testdata/bundle.json
  match

  umbra pattern match --json "[ipv4-addr:value = '221.216.5.9']" bundle.json
  {"match":true,"observed_data":["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"]}`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, file := args[0], args[1]
			p, err := pattern.Parse(src)
			if err != nil {
				return exitCode(2, withCaret(err, src))
			}
			var r io.Reader = os.Stdin
			if file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return exitCode(2, err)
				}
				defer f.Close()
				r = f
			}
			obs, err := pattern.ReadObservations(r)
			if err != nil {
				return exitCode(2, fmt.Errorf("%s: %w", file, err))
			}
			if len(obs) == 0 {
				// Not an error (nothing was seen), but usually the wrong file.
				fmt.Fprintf(os.Stderr, "umbra: warning: %s holds no observed-data objects\n", file)
			}
			idx, err := p.Matches(obs)
			if err != nil {
				return exitCode(2, withCaret(err, src))
			}
			if wantJSON(cmd) {
				ids := []string{}
				for _, i := range idx {
					ids = append(ids, obs[i].ID)
				}
				if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"match": idx != nil, "observed_data": ids}); err != nil {
					return err
				}
			} else if idx != nil {
				fmt.Println("match")
			} else {
				fmt.Println("no match")
			}
			if idx == nil {
				return exitCode(1, nil)
			}
			return nil
		},
	}
	jsonFlag(match)
	cmd.AddCommand(check, match)
	rootCmd.AddCommand(cmd)
}

// withCaret adds the pattern line and a caret under the offending byte to
// errors that carry a position.
func withCaret(err error, src string) error {
	var pe *pattern.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%w\n%s", err, pe.Caret(src))
	}
	return err
}
