//go:build unix

package report

import (
	"os/exec"
	"syscall"
)

// killGroup makes cancelling cmd end Chromium's helper processes too:
// they share its process group.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
