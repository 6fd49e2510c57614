// Package cmd assembles swarmlab's command tree: one package per command,
// each exporting NewCommand(logger, streams). The lab commands also take the
// root's *labflags.Flags, which the root registers and hands to each of them
// explicitly, and reach their lab through labflags' Run. The servers run
// inside the lab's images are grouped apart (servers.go).
package cmd
