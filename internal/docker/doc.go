// Package docker is swarmlab's door to Docker engines: the host's engine,
// which runs the lab's containers, and each node's own engine inside its
// container, reached through `docker system dial-stdio` over an exec so that
// it works wherever the host engine does (Linux, Docker Desktop, remote).
//
// The interfaces name only the calls swarmlab makes, with the Engine API
// client's own types, so *client.Client satisfies them and tests use fakes.
package docker
