// Package kernel is what the CLI and 'swarmlab kernel-check' share about
// the engine's kernel: the kernel check's command name and its report.
//
// IPVS, which swarm's service VIPs and ingress routing mesh need, is a module
// on stock kernels (ip_vs) that the kernel loads on first use: until then
// /proc/sys/net/ipv4/vs is missing although IPVS works. So the kernel is
// asked (internal/kernel/ipvscheck), inside a container on the engine.
package kernel

import (
	"encoding/json"
	"fmt"
	"strings"
)

// CheckCommand is the hidden swarmlab subcommand that prints a Report.
const CheckCommand = "kernel-check"

// NoFamily is a Report's Error when the kernel answered no.
const NoFamily = "the kernel has no IPVS family (no ip_vs built in, and none it could load)"

// Report is what the kernel check found; it prints it as JSON.
type Report struct {
	IPVS       bool   `json:"ipvs"`               // the kernel knows the IPVS family (loaded it if needed)
	FamilyID   uint16 `json:"familyId,omitempty"` // its netlink id
	ProcBefore bool   `json:"procBefore"`         // /proc/sys/net/ipv4/vs existed before asking
	Proc       bool   `json:"proc"`               // and after
	Error      string `json:"error,omitempty"`    // why the kernel could not be asked, or said no
}

// Answered reports whether the kernel was asked and answered, yes or no.
func (r Report) Answered() bool {
	return r.IPVS || r.Error == NoFamily
}

// ParseReport reads the kernel check's output: the last line that holds a JSON
// object, so stray lines before it do no harm.
func ParseReport(out string) (Report, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var r Report
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return Report{}, fmt.Errorf("kernel check output: %w", err)
		}
		return r, nil
	}
	return Report{}, fmt.Errorf("kernel check printed no report: %q", strings.TrimSpace(out))
}
