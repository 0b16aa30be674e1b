package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/demo"
)

func init() {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on a generated scenario and explain the result",
		Long: `Run umbra end to end and narrate it. Without --data the demo works in a fresh
temporary data dir, so it never touches your own store; it prints that dir so
you can explore it afterwards.`,
		Example: `  umbra demo
  umbra demo --data /tmp/umbra-demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, _ := cmd.Flags().GetString("data")
			if dir == "" {
				var err error
				if dir, err = os.MkdirTemp("", "umbra-demo-"); err != nil {
					return err
				}
			}
			return demo.Run(ctxOf(cmd), os.Stdout, demo.Options{DataDir: dir})
		},
	}
	rootCmd.AddCommand(cmd)
}
