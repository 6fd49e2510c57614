// Package version holds the build's version, stamped at link time with
// -ldflags "-X github.com/swarmlab/swarmlab/internal/version.Version=...".
package version
