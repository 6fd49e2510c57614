package learner

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the keyboard's end and the program's.
func openPTY(t *testing.T) (keyboard, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var n uint32
	raw, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		if cerr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); cerr == nil {
			n, cerr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
		}
	}); err != nil || cerr != nil {
		t.Fatalf("unlocking the pseudo-terminal: %v %v", err, cerr)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func lflag(t *testing.T, f *os.File) uint32 {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag
}

// On a real terminal, the h key alone (no Enter) raises the hand; the
// terminal shows no echo of it, still turns "\n" into "\r\n", still
// sends Ctrl-C as a signal, and is put back as it was by stop.
func TestSingleKeyOnATerminal(t *testing.T) {
	s := joined(t)
	keyboard, tty := openPTY(t)
	before := lflag(t, tty)
	if before&unix.ICANON == 0 || before&unix.ECHO == 0 {
		t.Fatalf("a new terminal is not line by line with echo: %#x", before)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess := Start(ctx)
	defer sess.Close()
	stop := sess.Keys(ctx, tty, nil)
	defer stop()
	on := lflag(t, tty)
	if on&(unix.ICANON|unix.ECHO) != 0 || on&unix.ISIG == 0 {
		t.Fatalf("single-key mode: lflag %#x", on)
	}
	if !strings.Contains(strings.Join(sess.Lines("en"), "\n"), "Press h to raise a hand") {
		t.Fatalf("lines: %q", sess.Lines("en"))
	}
	if _, err := keyboard.Write([]byte("h")); err != nil {
		t.Fatal(err)
	}
	if h := handUp(t, s); h.Question != "(no question)" {
		t.Fatalf("hand %+v", h)
	}
	// What the program writes comes out with "\r\n", and no "h" before it.
	if _, err := tty.Write([]byte("drawn\n")); err != nil {
		t.Fatal(err)
	}
	_ = keyboard.SetReadDeadline(time.Now().Add(2 * time.Second))
	got := make([]byte, 64)
	n, err := keyboard.Read(got)
	if err != nil || string(got[:n]) != "drawn\r\n" {
		t.Fatalf("the terminal shows %q (%v), want %q", got[:n], err, "drawn\r\n")
	}
	stop()
	stop()
	if after := lflag(t, tty); after != before {
		t.Fatalf("lflag %#x after stop, %#x before", after, before)
	}
}
