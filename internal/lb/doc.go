// Package lb is the reverse-proxy core shared by the proxy and the ingress.
// It keeps no HTTP/1.1 parser, serializer or framing of its own: fasthttp
// reads and writes every message, and net/http's validators
// (x/net/http/httpguts) refuse what fasthttp would let through.
//
// Files: laid out by concern, like Caddy's reverseproxy module. server.go is
// the Server (fasthttp, request checks, timeouts, one routing decision);
// validate.go what a request or response head must be to pass; handler.go
// the Handler (select an upstream, forward, retry, relay the answer);
// headers.go the hop-by-hop and forwarding fields; transport.go the
// kept-alive upstream connections, reused only when clean (peek_unix.go and
// peek_other.go look for bytes a server sent unasked; sockopt_linux.go and
// sockopt_other.go set the sockets' options); hedge.go races a lagging
// connect against another upstream's; upgrade.go 101 Switching Protocols
// (WebSocket); pool.go, upstream.go, selection.go, health.go and
// histogram.go the upstreams, the policies, active and passive health, and
// latency.
package lb
