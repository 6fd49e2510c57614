// Package conformance is the black-box HTTP conformance suite of the
// ingress and the proxy. It holds no code of its own, only tests.
//
// The tests start real "swarmlab ingress" (static mode, and discovery mode
// against a fake Docker Engine API for the routing cases) and "swarmlab
// proxy" processes, put scripted backends behind them (raw TCP listeners
// that answer with exact bytes, well-formed or not, and record what reached
// them), and talk to them over raw TCP as a client, a careless backend or
// an attacker would. Each case asserts an exact outcome: a response never
// reaches another client, an invalid request never reaches a backend, one
// URL takes one route, silent clients are closed within the header timeout,
// and the ordinary things (HEAD, bodies, trailers, 100-continue,
// pipelining, WebSocket, large streams) keep working.
//
// Run it with
//
//	go test -count=1 -v ./conformance/     (or: make conformance)
//
// It needs no Docker and is part of "make unit". It builds the binary
// into a temporary directory, or uses $SWARMLAB_BIN when set. It is
// Linux-only: backends listen on 127.0.0.2 and up, and memory is read from
// /proc.
//
// With CONFORMANCE_HAPROXY=1 and haproxy installed, every case also runs
// against HAProxy with an equivalent configuration, as a reference: its
// outcomes are recorded, never asserted. The table of case × target →
// outcome is printed at the end of a verbose run and written to
// $SWARMLAB_ARTIFACTS/conformance.md when that is set.
//
// Where a rule is ambiguous, the reference is what Go's net/http server and
// Transport do (httputil.ReverseProxy's behaviour); the cases say so.
package conformance
