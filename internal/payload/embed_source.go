//go:build !dist

package payload

import "embed"

// SelfServes: a build from source carries the servers itself (see
// internal/cmd/servers_source.go), and embeds none.
const SelfServes = true

var files embed.FS
