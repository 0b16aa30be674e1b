package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/detect/lookalike"
)

// brandsFile holds the user's own brands, one registered domain a line,
// in the data dir; match and ingest watch them besides the defaults.
const brandsFile = "brands.txt"

func userBrands(cmd *cobra.Command) ([]string, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, brandsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v := strings.TrimSpace(sc.Text()); v != "" && !strings.HasPrefix(v, "#") {
			out = append(out, v)
		}
	}
	return out, sc.Err()
}

func init() {
	brands := &cobra.Command{
		Use:   "brands [add DOMAIN...]",
		Short: "List or add the brands whose look-alikes match and ingest raise as alerts",
		Example: `  umbra lookalike brands
  umbra lookalike brands add example-studio.com example-games.jp`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			have, err := userBrands(cmd)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				for _, b := range lookalike.DefaultBrands {
					fmt.Printf("%-28s default\n", b.Domain)
				}
				for _, b := range have {
					fmt.Printf("%-28s user\n", b)
				}
				return nil
			}
			if args[0] != "add" || len(args) < 2 {
				return exitCode(2, fmt.Errorf("usage: umbra lookalike brands add DOMAIN..."))
			}
			for _, d := range args[1:] {
				b, err := lookalike.ParseBrand(d)
				if err != nil {
					return exitCode(2, fmt.Errorf("%q: %v", d, err))
				}
				have = append(have, b.Domain)
			}
			dir, err := dataDir(cmd)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			tmp := filepath.Join(dir, brandsFile+".tmp")
			if err := os.WriteFile(tmp, []byte(strings.Join(dedupeStrings(have), "\n")+"\n"), 0o600); err != nil {
				return err
			}
			return os.Rename(tmp, filepath.Join(dir, brandsFile))
		},
	}
	lookalikeCmd.AddCommand(brands)
}

func dedupeStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
