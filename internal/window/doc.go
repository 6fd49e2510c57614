// Package window is the learner's window, 'swarmlab open': one local page
// with the handout's steps ticking live (the same checks as 'tutorial
// --watch'), a terminal in every node of the lab and the visualizer's
// drawing of the swarm, plus a class's broadcasts when the learner joined
// one.
//
// The page holds a shell on every node, so it is served only on 127.0.0.1,
// behind a web.Guard with a fresh secret per launch (carried in the opened
// URL, then in an HttpOnly cookie), and every request and every WebSocket
// upgrade passes its Host, Origin and secret checks. Terminals open only
// into the lab's own node containers, by name from the lab's list: there is
// no shell on the host.
//
// Files: window.go (the server and its routes), lab.go (the lab as the
// window sees it, and its Engine API implementation: exec with a TTY),
// term.go (the WebSocket bridge to a node's terminal, which follows the
// browser's size and reconnects when the node restarts), utf8.go (frames
// that never split a character), hub.go (the live events of the page),
// viz.go (the visualizer's state, proxied to the same origin), notices.go
// (a class's broadcasts), assets/ (the page; xterm.js vendored by
// scripts/vendor-xterm.sh).
package window
