// Package cmd assembles swarmlab's command tree: one package per command,
// each exporting NewCommand(logger, streams). The lab commands also take the
// root's *labflags.Flags, which the root registers and hands to each of them
// explicitly, and reach their lab through labflags' Run, on the engine the
// root's connector opens (cmdtest runs them on a fake one). The servers run
// inside the lab's images are listed in package servers, which a build from
// source carries (servers_source.go) and swarmlab-server is made of.
package cmd
