package kernel

import (
	"encoding/json"
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

// Probe agrees with /proc afterwards: where the family answers, ip_vs is
// loaded and /proc/sys/net/ipv4/vs exists (on this kernel or the other).
func TestProbeAgreesWithProc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("generic netlink is Linux only")
	}
	r := Probe()
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

func TestParseReport(t *testing.T) {
	want := Report{IPVS: true, FamilyID: 33, Proc: true}
	b, _ := json.Marshal(want)
	for _, out := range []string{string(b), string(b) + "\n", "a warning\n" + string(b) + "\n"} {
		got, err := ParseReport(out)
		if err != nil || got != want {
			t.Fatalf("ParseReport(%q) = %+v, %v", out, got, err)
		}
	}
	if _, err := ParseReport("exec format error\n"); err == nil {
		t.Fatal("no report: want an error")
	}
	if _, err := ParseReport("{broken"); err == nil {
		t.Fatal("broken JSON: want an error")
	}
	no := Report{Error: "the kernel has no IPVS family (no ip_vs built in, and none it could load)"}
	if !no.Answered() || (Report{Error: "generic netlink: permission denied"}).Answered() {
		t.Fatal("Answered: a 'no' is an answer; a failed request is not")
	}
}
