// Package ipvscheck asks the running kernel whether it can do IPVS. It is
// what 'swarmlab kernel-check' runs inside a container on the engine; the
// CLI only reads its report (internal/kernel), so a release's CLI carries
// no netlink code.
//
// Asking generic netlink for the "IPVS" family, as dockerd's IPVS library
// does, makes the kernel load ip_vs where it exists, so the answer is what
// the kernel can do, not what it has loaded so far.
package ipvscheck

import (
	"os"

	"github.com/swarmlab/swarmlab/internal/kernel"
)

// family is IPVS's generic netlink family name.
const family = "IPVS"

// procIPVS appears once ip_vs is loaded, in every network namespace.
const procIPVS = "/proc/sys/net/ipv4/vs"

// Check asks the kernel for the IPVS family.
func Check() kernel.Report {
	r := kernel.Report{ProcBefore: exists(procIPVS)}
	id, err := lookupFamily(family)
	switch {
	case err == nil:
		r.IPVS, r.FamilyID = true, id
	case isNotFound(err):
		r.Error = kernel.NoFamily
	default:
		r.Error = "generic netlink: " + err.Error()
	}
	r.Proc = exists(procIPVS)
	return r
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
