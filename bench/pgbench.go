package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pgbench runs a script as `pgbench -M prepared -c clients -j 2 -T duration` against
// databaseURL and returns its transactions per second (without the initial connection
// time). The script goes to dir as name.sql, and the command line as name.sh, to run
// it again by hand (--keep keeps dir).
func pgbench(ctx context.Context, dir, name, databaseURL, script string, defines map[string]string, clients int, duration time.Duration) (float64, error) {
	file := filepath.Join(dir, name+".sql")
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(2, clients)),
		"-T", strconv.Itoa(max(1, int(duration.Round(time.Second).Seconds()))), "-f", file}
	for _, name := range slices.Sorted(maps.Keys(defines)) {
		args = append(args, "-D", name+"="+defines[name])
	}
	args = append(args, databaseURL)
	if err := errors.Join(
		os.WriteFile(file, []byte(script), 0o644),
		os.WriteFile(filepath.Join(dir, name+".sh"), []byte(shellLine("pgbench", args)), 0o755),
	); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, "pgbench", args...)
	ownProcessGroup(cmd)
	cmd.Cancel = func() error { return stopGroup(cmd, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return 0, context.Cause(ctx)
		}
		return 0, fmt.Errorf("pgbench %s (%s): %w\n%s", name, file, err, lastLines(stderr.String(), 10))
	}
	m := tpsLine.FindSubmatch(stdout.Bytes())
	if m == nil {
		return 0, fmt.Errorf("pgbench %s printed no tps:\n%s", name, stdout.String())
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

// shellLine is a command line as a shell script runs it, each argument single-quoted.
func shellLine(command string, args []string) string {
	quoted := []string{command}
	for _, arg := range args {
		quoted = append(quoted, "'"+strings.ReplaceAll(arg, "'", `'\''`)+"'")
	}
	return strings.Join(quoted, " ") + "\n"
}

// ownProcessGroup puts a child in a process group of its own, out of reach of the
// terminal's Ctrl-C (the bench stops it: stopGroup), and has the kernel kill it should
// the bench die without cleaning up.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// stopGroup signals the child's whole process group.
func stopGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}
