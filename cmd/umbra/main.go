// Command umbra is the command-line shell over umbra's packages: flags and
// wiring only; the work lives in the packages that tests call directly.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries a specific exit status (for example 1 for "no match"
// and 2 for "invalid input") through cobra to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

// exitCode returns an error that makes umbra exit with code, printing err
// when it is not nil.
func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

var rootCmd = &cobra.Command{
	Use:     "umbra",
	Short:   "Threat-intelligence attribution and retrospective hunting",
	Example: "  umbra demo\n  umbra actor show \"wicked panda\"\n  umbra --data /srv/umbra match /opt/zeek/logs/current/",
	Long: `umbra matches threat intelligence against live and stored network telemetry,
re-scans history when intel changes, and links activity and actor names
through shared evidence with an explicit confidence.

Start with:  umbra demo`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func init() {
	rootCmd.PersistentFlags().String("data", "", "data directory (default $UMBRA_DATA, else the XDG data dir)")
}

// jsonFlag adds the --json flag to cmd.
func jsonFlag(cmd *cobra.Command) {
	cmd.Flags().Bool("json", false, "print results as JSON")
}

// wantJSON reports whether --json was given.
func wantJSON(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("json")
	return v
}

func main() {
	err := rootCmd.Execute()
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "umbra:", ee.err)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "umbra:", err)
	os.Exit(1)
}
