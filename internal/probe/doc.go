// Package probe sends a bounded loop of HTTP requests and counts what came
// back: failures, status codes and which replica answered. swarmlab uses it
// to show load being spread and to count failed requests during failover;
// learners run it as 'swarmlab probe'.
package probe
