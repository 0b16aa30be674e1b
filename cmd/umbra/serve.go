package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/server"
	"github.com/umbra-cti/umbra/server/auth"
	"github.com/umbra-cti/umbra/server/taxii"
)

func init() {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the REST API, TAXII 2.1 and the web UI over the data dir",
		Long: `Serve the knowledge store and everything umbra found over HTTP: the web UI at
/ui/, the REST API at /api/ (OpenAPI document at /api/openapi.json) and TAXII 2.1
at /taxii2/. Every call needs a token (umbra token create); objects above a
token's TLP clearance are never served to it.

Plain HTTP is served only on loopback. To listen on another address give
--tls-cert and --tls-key, or --insecure when a TLS proxy terminates in front.
SIGINT or SIGTERM stop the server gracefully.`,
		Example: `  umbra token create --name me --role admin --tlp-max red
  umbra serve
  umbra serve --addr 0.0.0.0:7807 --tls-cert cert.pem --tls-key key.pem
  umbra serve --taxii-collections all,source,tlp,actor`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := serveOptionsFrom(cmd)
			if err != nil {
				return exitCode(2, err)
			}
			ctx, stop := signal.NotifyContext(ctxOf(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := openStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			dir, err := dataDir(cmd)
			if err != nil {
				return err
			}
			return runServe(ctx, st, dir, o, os.Stderr, nil)
		},
	}
	serveFlags(cmd)
	rootCmd.AddCommand(cmd)
}

// serveOptions are the flags of umbra serve (and umbra demo --serve).
type serveOptions struct {
	addr, cert, key string
	insecure        bool
	rate            float64
	burst           int
	maxBody         int64
	kinds           []string
	pprof           string
}

func serveFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("addr", "127.0.0.1:7807", "address to listen on (host:port)")
	f.String("tls-cert", "", "TLS certificate file (PEM); serve HTTPS")
	f.String("tls-key", "", "TLS private key file (PEM)")
	f.Bool("insecure", false, "allow plain HTTP on a non-loopback address (only behind a TLS proxy)")
	f.Float64("rate", 50, "requests per second each token may make, sustained")
	f.Int("burst", 100, "requests a token may make at once above --rate")
	f.Int64("max-body", 64<<20, "largest request body in bytes (uploads, TAXII adds)")
	f.String("taxii-collections", strings.Join(taxii.DefaultKinds, ","), "TAXII collections: any of all, source, tlp, actor")
	f.String("pprof", "", "also serve Go's profiler on this loopback address (for load tests)")
	_ = f.MarkHidden("pprof")
}

func serveOptionsFrom(cmd *cobra.Command) (serveOptions, error) {
	f := cmd.Flags()
	var o serveOptions
	o.addr, _ = f.GetString("addr")
	o.cert, _ = f.GetString("tls-cert")
	o.key, _ = f.GetString("tls-key")
	o.insecure, _ = f.GetBool("insecure")
	o.rate, _ = f.GetFloat64("rate")
	o.burst, _ = f.GetInt("burst")
	o.maxBody, _ = f.GetInt64("max-body")
	o.pprof, _ = f.GetString("pprof")
	kinds, _ := f.GetString("taxii-collections")
	var err error
	if o.kinds, err = taxii.ParseKinds(kinds); err != nil {
		return o, fmt.Errorf("--taxii-collections: %w", err)
	}
	if (o.cert == "") != (o.key == "") {
		return o, errors.New("--tls-cert and --tls-key go together")
	}
	if o.rate <= 0 || o.burst <= 0 || o.maxBody <= 0 {
		return o, errors.New("--rate, --burst and --max-body must be positive")
	}
	if err := server.CheckListen(o.addr, o.cert != "", o.insecure); err != nil {
		return o, err
	}
	if o.pprof != "" {
		host, _, err := net.SplitHostPort(o.pprof)
		if err != nil || !server.IsLoopback(host) {
			return o, fmt.Errorf("--pprof %q: must be a loopback host:port", o.pprof)
		}
	}
	return o, nil
}

// runServe serves st until ctx is done. ready, when set, is called with the
// base URL once the server listens.
func runServe(ctx context.Context, st *sqlite.Store, dir string, o serveOptions, logw io.Writer, ready func(url string)) error {
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tokens, err := server.OpenTokenFile(dir)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, server.Config{
		Store: st, DataDir: dir, Tokens: tokens, Logger: logger,
		TAXII:  taxii.StoreConfig{Collections: o.kinds, MaxContentLength: o.maxBody},
		Auth:   auth.Options{RatePerSecond: o.rate, Burst: o.burst, MaxBodyBytes: o.maxBody},
		Limits: server.Limits{MaxBodyBytes: o.maxBody},
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	if o.pprof != "" {
		stopProf, err := servePprof(o.pprof)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopProf()
	}
	scheme := "http"
	if o.cert != "" {
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()
	if cols, err := srv.TAXII().Summary(ctx); err == nil {
		for _, c := range cols {
			fmt.Fprintf(logw, "umbra: TAXII collection %s  %-28s %d versions\n", c.ID, printable(c.Alias), c.Objects)
		}
	}
	if toks, err := tokens.List(ctx); err == nil && len(toks) == 0 {
		fmt.Fprintln(logw, "umbra: no tokens yet: every call will get 401; issue one with: umbra token create --name NAME --role reader")
	}
	fmt.Fprintf(logw, "umbra: serving %s/ui/  (REST API %s/api/, TAXII %s/taxii2/); Ctrl-C stops\n", base, base, base)
	if ready != nil {
		ready(base)
	}
	err = srv.Serve(ctx, ln, o.cert, o.key)
	fmt.Fprintln(logw, "umbra: server stopped")
	return err
}

// servePprof serves net/http/pprof on a loopback address, apart from the
// main server (whose mux never carries it).
func servePprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return func() { hs.Close() }, nil
}
