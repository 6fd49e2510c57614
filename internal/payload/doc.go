// Package payload holds what a release embeds: swarmlab-server, static and
// zstd-compressed, for linux/amd64 and linux/arm64, the binaries the lab's
// images are made of. A build from source (without the dist tag) embeds
// nothing and ships itself in the images instead (SelfServes).
package payload
