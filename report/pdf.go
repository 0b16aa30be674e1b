package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrNoChromium is returned by PDF when no Chromium binary is found.
var ErrNoChromium = errors.New("report: PDF output needs headless Chromium (Debian package chromium, or pass its path); --format html needs nothing")

// PDFOptions tune PDF rendering.
type PDFOptions struct {
	// Chromium is the browser binary; empty means /usr/bin/chromium, else
	// chromium, chromium-browser or google-chrome on PATH.
	Chromium string
	// Timeout bounds the render; zero means 90 seconds.
	Timeout time.Duration
}

// FindChromium returns the Chromium binary PDF would use.
func FindChromium(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoChromium, err)
		}
		return path, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// PDF renders html (a document from WriteHTML) to the file out through
// headless Chromium, with its network features off and a throw-away
// profile. The report fetches nothing, and its Content-Security-Policy
// would stop it if it tried.
func PDF(ctx context.Context, html []byte, out string, opt PDFOptions) error {
	bin, err := FindChromium(opt.Chromium)
	if err != nil {
		return err
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	tmp, err := os.MkdirTemp("", "umbra-report-")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(tmp)
	page := filepath.Join(tmp, "report.html")
	if err := os.WriteFile(page, html, 0o600); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	partial := absOut + ".partial"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
		"--mute-audio", "--hide-scrollbars", "--no-pdf-header-footer",
		"--user-data-dir="+filepath.Join(tmp, "profile"), "--print-to-pdf="+partial, "file://"+page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	cmd.Env = append(os.Environ(), "HOME="+tmp)
	killGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		os.Remove(partial)
		return fmt.Errorf("report: Chromium did not finish the PDF within %s", timeout)
	}
	if err != nil {
		os.Remove(partial)
		return fmt.Errorf("report: Chromium (%s) failed: %v: %s", bin, err, tail(stderr.Bytes(), 400))
	}
	b, err := os.ReadFile(partial)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		os.Remove(partial)
		return fmt.Errorf("report: Chromium (%s) wrote no PDF: %s", bin, tail(stderr.Bytes(), 400))
	}
	if err := os.Rename(partial, absOut); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
