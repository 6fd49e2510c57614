// Package web is the one way swarmlab serves pages to people: the class
// server's board (swarmlab class serve) and the learner's window (swarmlab
// open). Both hold something worth stealing, a class's secrets or a shell in
// every node, so every page goes through a Guard: a Host check against DNS
// rebinding, a secret that arrives once in the opened URL and then lives in
// an HttpOnly cookie, and an Origin check on every request that changes
// something and on every WebSocket upgrade. Assets are embedded and served by
// Assets, events pushed by Stream, and the server runs under Serve, which
// shares internal/serve's lifecycle.
//
// Files: guard.go (Host, Origin, secret, cookie), token.go (secrets and
// constant-time comparison), assets.go (embedded files, security headers),
// stream.go (server-sent events), serve.go (listen and serve), open.go
// (open a URL in the user's browser).
package web
