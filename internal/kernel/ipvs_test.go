package kernel

import (
	"encoding/json"
	"testing"
)

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
	if !(Report{Error: NoFamily}).Answered() || (Report{Error: "generic netlink: permission denied"}).Answered() {
		t.Fatal("Answered: a 'no' is an answer; a failed request is not")
	}
}
