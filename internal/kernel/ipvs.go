// Package kernel asks the running kernel what it can do for a swarm.
//
// IPVS, which swarm's service VIPs and ingress routing mesh need, is a module
// on stock kernels (ip_vs) that the kernel loads on first use: until then
// /proc/sys/net/ipv4/vs is missing although IPVS works. Asking generic
// netlink for the "IPVS" family, as dockerd's IPVS library does, makes the
// kernel load the module where it exists, so the answer is what the kernel
// can do, not what it has loaded so far.
package kernel

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ProbeCommand is the hidden swarmlab subcommand that prints Probe's Report.
const ProbeCommand = "kernel-probe"

// IPVSFamily is IPVS's generic netlink family name.
const IPVSFamily = "IPVS"

// procIPVS appears once ip_vs is loaded, in every network namespace.
const procIPVS = "/proc/sys/net/ipv4/vs"

// Report is what Probe found; the probe subcommand prints it as JSON.
type Report struct {
	IPVS       bool   `json:"ipvs"`               // the kernel knows the IPVS family (loaded it if needed)
	FamilyID   uint16 `json:"familyId,omitempty"` // its netlink id
	ProcBefore bool   `json:"procBefore"`         // /proc/sys/net/ipv4/vs existed before asking
	Proc       bool   `json:"proc"`               // and after
	Error      string `json:"error,omitempty"`    // why the kernel could not be asked, or said no
}

// Probe asks the kernel for the IPVS family.
func Probe() Report {
	r := Report{ProcBefore: exists(procIPVS)}
	id, err := lookupFamily(IPVSFamily)
	switch {
	case err == nil:
		r.IPVS, r.FamilyID = true, id
	case isNotFound(err):
		r.Error = "the kernel has no IPVS family (no ip_vs built in, and none it could load)"
	default:
		r.Error = "generic netlink: " + err.Error()
	}
	r.Proc = exists(procIPVS)
	return r
}

// Answered reports whether the kernel was asked and answered, yes or no.
func (r Report) Answered() bool {
	return r.IPVS || strings.HasPrefix(r.Error, "the kernel has no IPVS")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ParseReport reads the probe subcommand's output: the last line that holds
// a JSON object, so stray lines before it do no harm.
func ParseReport(out string) (Report, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var r Report
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return Report{}, fmt.Errorf("probe output: %w", err)
		}
		return r, nil
	}
	return Report{}, fmt.Errorf("probe printed no report: %q", strings.TrimSpace(out))
}
