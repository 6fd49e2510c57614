// Command swarmlab-server is the servers the lab's images run (registry, api,
// proxy, ingress, visualizer, edge, probe) without the CLI. A release build
// embeds it, static and compressed, for linux/amd64 and linux/arm64
// (internal/payload), so the CLI on any OS can build the lab's images.
package main
