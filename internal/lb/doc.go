// Package lb is the reverse-proxy core shared by the proxy and the ingress.
// It keeps no HTTP/1.1 parser, serializer or framing of its own: fasthttp
// reads and writes every message, and net/http's validators
// (x/net/http/httpguts) refuse what fasthttp would let through.
//
// It is laid out by concern, like Caddy's reverseproxy module:
//
//	server.go     Server: fasthttp, request checks, timeouts, one routing decision
//	validate.go   what a request or response head must be to pass
//	handler.go    Handler: select an upstream, forward, retry, relay the answer
//	headers.go    hop-by-hop and forwarding fields
//	transport.go  kept-alive upstream connections, reused only when clean
//	upgrade.go    101 Switching Protocols (WebSocket)
//	pool.go, upstream.go, selection.go, health.go, histogram.go
//	              upstreams, policies, active and passive health, latency
package lb
