package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/swarmlab/swarmlab/internal/kernel"
)

func TestDecideIPVS(t *testing.T) {
	yes, no := true, false
	noFamily := kernel.Report{Error: kernel.NoFamily}
	for _, tc := range []struct {
		name      string
		rep       kernel.Report
		err       error
		proc      *bool
		has, asks bool
		note      string // a substring of the note; "" for none
		fails     bool
	}{
		// A fresh boot: ip_vs not loaded, /proc says no, the kernel says yes.
		{name: "module not loaded yet", rep: kernel.Report{IPVS: true, FamilyID: 33, Proc: true}, proc: &no, has: true, asks: true},
		{name: "no IPVS at all", rep: noFamily, proc: &no, asks: true},
		{name: "kernel says no although /proc says yes", rep: noFamily, proc: &yes, asks: true},
		{name: "check cannot run, /proc has it", err: errors.New("cannot ship itself"), proc: &yes, has: true, note: "cannot ship itself"},
		{name: "check cannot run, /proc lacks it", err: errors.New("no image"), proc: &no, note: "not loaded yet"},
		{name: "netlink refused, /proc lacks it", rep: kernel.Report{Error: "generic netlink: operation not permitted"}, proc: &no, note: "operation not permitted"},
		{name: "nothing to go by", err: errors.New("no image"), fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chk, err := DecideIPVS(tc.rep, tc.err, tc.proc)
			if tc.fails {
				if err == nil {
					t.Fatalf("want an error, got %+v", chk)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if chk.Has != tc.has || chk.Asked != tc.asks {
				t.Fatalf("got %+v, want has=%v asked=%v", chk, tc.has, tc.asks)
			}
			if tc.note == "" && chk.Note != "" || !strings.Contains(chk.Note, tc.note) {
				t.Fatalf("note %q, want %q", chk.Note, tc.note)
			}
		})
	}
}

// checkEngine runs kernel check containers: it remembers how they were made and
// answers with out as their logs.
type checkEngine struct {
	*fakeEngine
	out  string
	cfg  *container.Config
	hc   *container.HostConfig
	code int64
}

func (p *checkEngine) ContainerCreate(ctx context.Context, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig, pl *ocispec.Platform, name string) (container.CreateResponse, error) {
	p.cfg, p.hc = cfg, hc
	return p.fakeEngine.ContainerCreate(ctx, cfg, hc, nc, pl, name)
}

func (p *checkEngine) ContainerWait(context.Context, string, container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	w := make(chan container.WaitResponse, 1)
	w <- container.WaitResponse{StatusCode: p.code}
	return w, make(chan error)
}

func (p *checkEngine) ContainerLogs(context.Context, string, container.LogsOptions) (io.ReadCloser, error) {
	var b bytes.Buffer
	stdcopy.NewStdWriter(&b, stdcopy.Stdout).Write([]byte(p.out))
	return io.NopCloser(&b), nil
}

func TestCheckKernelContainer(t *testing.T) {
	want := kernel.Report{IPVS: true, FamilyID: 33, Proc: true}
	b, _ := json.Marshal(want)
	p := &checkEngine{fakeEngine: newFake(), out: string(b) + "\n"}
	l, _ := testLab(t, p.fakeEngine)
	l.Engine = p
	img, err := l.KernelCheckImage(context.Background())
	if err != nil || img != BaseImage("sum") || !p.Images[img] {
		t.Fatalf("KernelCheckImage = %q, %v; built %v", img, err, p.Images)
	}
	got, err := CheckKernel(context.Background(), p, img, "unit")
	if err != nil || got != want {
		t.Fatalf("CheckKernel = %+v, %v", got, err)
	}
	if e := p.cfg.Entrypoint; len(e) != 2 || e[0] != "/swarmlab" || e[1] != kernel.CheckCommand {
		t.Errorf("entrypoint %q", e)
	}
	if p.hc.NetworkMode != "none" || p.hc.Privileged || len(p.hc.CapAdd) != 0 {
		t.Errorf("the check needs no network and no privilege: %+v", p.hc)
	}
	if p.cfg.Labels[LabelLab+".probe"] != "unit" {
		t.Errorf("labels %v", p.cfg.Labels)
	}
	if len(p.Containers) != 0 {
		t.Errorf("probe container left behind: %v", p.Containers)
	}

	// A binary that cannot run in the engine (exec format error) prints no report.
	p.out, p.code = "exec /swarmlab: exec format error\n", 255
	if _, err := CheckKernel(context.Background(), p, img, "unit"); err == nil || !strings.Contains(err.Error(), "255") {
		t.Fatalf("want the exit code in the error, got %v", err)
	}
}
