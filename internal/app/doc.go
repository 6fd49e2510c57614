// Package app is swarmlab's command line as a function: Run takes the
// streams and arguments and returns an error, so tests drive the whole CLI;
// only Main exits the process.
package app
