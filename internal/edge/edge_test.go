package edge

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"
)

// echoOn listens on host:0 and answers every connection with its name.
func echoOn(t *testing.T, host, name string) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(name))
			c.Close()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

func TestForwardsAndFailsOver(t *testing.T) {
	// Two "managers" on two loopback addresses, serving the same port.
	first, port := echoOn(t, "127.0.0.1", "manager")
	second, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(port)))
	if err != nil {
		t.Skipf("127.0.0.2 not usable here: %v", err)
	}
	go func() {
		for {
			c, err := second.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("manager02"))
			c.Close()
		}
	}()
	defer second.Close()

	f := New(Config{Ports: []int{port}, Targets: []string{"127.0.0.1", "127.0.0.2"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Serve(ctx, front, port)

	read := func() string {
		t.Helper()
		c, err := net.DialTimeout("tcp", front.Addr().String(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	if got := read(); got != "manager" {
		t.Fatalf("first target: got %q", got)
	}
	first.Close() // the first manager stops
	if got := read(); got != "manager02" {
		t.Fatalf("after the first target stopped: got %q", got)
	}
	if order := f.order(); order[0] != "127.0.0.2" {
		t.Fatalf("a failed target should be tried last: %v", order)
	}
}

func TestValidate(t *testing.T) {
	if err := (Config{}).Validate(); err == nil {
		t.Fatal("want errors for no ports and no targets")
	}
	if err := (Config{Ports: []int{80, 70000}, Targets: []string{"m"}}).Validate(); err == nil {
		t.Fatal("want an error for port 70000")
	}
	if err := (Config{Ports: []int{80}, Targets: []string{"m"}}).Validate(); err != nil {
		t.Fatal(err)
	}
}
