// Package app runs a command tree as a function: Run takes the streams,
// the arguments and the tree (the CLI's or the servers'), and returns an
// error, so tests drive the whole CLI; only Main exits the process. It
// imports neither tree, so that each binary links only its own.
package app
