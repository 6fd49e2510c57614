// Package shell implements 'swarmlab shell NODE': a shell in a node, as when
// the tutorial opens a node's CLI.
package shell
