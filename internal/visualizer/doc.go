// Package visualizer serves a live web page of a Docker swarm: one column
// per node with the tasks it runs, so that a learner who stops a worker sees
// its tasks come back elsewhere. It replaces dockersamples/visualizer.
//
// A Server reads the swarm through a read-only Source (the Docker engine of a
// manager, or a fake), keeps the latest State, and pushes it to every browser
// over Server-Sent Events. One poller serves all browsers: it re-reads the
// swarm on Docker events and on a short resync timer, because swarm sends no
// events for tasks. The page itself is embedded and needs no network access
// beyond this server.
//
// Files: server.go holds the Server, its poller and its lifecycle; http.go
// its routes; source.go the Source contract and MemorySource; docker.go the
// DockerSource; demo.go the made-up swarm of VISUALIZER_DEMO; state.go the
// State the page shows; env.go the environment it reads.
package visualizer
