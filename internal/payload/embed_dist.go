//go:build dist

package payload

import "embed"

// SelfServes: a release leaves the servers out of the CLI (see
// internal/cmd/servers_dist.go) and ships these in the images instead.
const SelfServes = false

// make dist writes them (scripts/dist.sh); they are not in git.
//
//go:embed files/linux_*.zst
var files embed.FS
