// Package probe implements 'swarmlab probe URL': a bounded request loop that
// shows which replicas answer and how many requests fail.
package probe
