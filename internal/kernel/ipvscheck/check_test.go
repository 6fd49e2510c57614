package ipvscheck

import (
	"os"
	"runtime"
	"testing"
)

// nlctrl, generic netlink's own family, is in every Linux kernel: a lookup
// of it shows the request is well formed.
func TestLookupFamilyControl(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("generic netlink is Linux only")
	}
	id, err := lookupFamily("nlctrl")
	if err != nil {
		t.Fatalf("lookup nlctrl: %v", err)
	}
	if id != 0x10 { // GENL_ID_CTRL
		t.Fatalf("nlctrl id = %#x, want 0x10", id)
	}
}

func TestLookupFamilyUnknown(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("generic netlink is Linux only")
	}
	_, err := lookupFamily("swarmlab-none")
	if !isNotFound(err) {
		t.Fatalf("unknown family: err = %v, want ENOENT", err)
	}
}

// Check agrees with /proc afterwards: where the family answers, ip_vs is
// loaded and /proc/sys/net/ipv4/vs exists (on this kernel or the other).
func TestCheckAgreesWithProc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("generic netlink is Linux only")
	}
	r := Check()
	if !r.Answered() {
		t.Fatalf("the kernel did not answer: %+v", r)
	}
	if _, err := os.Stat(procIPVS); r.IPVS && err != nil {
		t.Fatalf("IPVS family found but %s is missing: %+v", procIPVS, r)
	}
	if r.ProcBefore && !r.IPVS {
		t.Fatalf("%s existed but the family was not found: %+v", procIPVS, r)
	}
	t.Logf("%+v", r)
}
