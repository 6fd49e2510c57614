// Package probe sends a bounded loop of HTTP requests and counts what came
// back: failures, status codes, which replica answered, latency and connect
// percentiles. swarmlab uses it to show load being spread and, sample by
// sample, to measure what users see during chaos; learners run it as
// 'swarmlab probe'.
package probe
