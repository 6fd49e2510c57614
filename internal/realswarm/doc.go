// Package realswarm takes the lab's ingress and visualizer to a real swarm:
// Push builds their images for linux/amd64 and linux/arm64 from the server
// binaries a release carries, as one multi-arch OCI index each, and pushes
// them to any registry with internal/regclient (no Docker engine needed);
// Deploy creates or updates their services, as the stacks 'ingress' and
// 'visualizer', on the swarm behind a Docker context.
package realswarm
