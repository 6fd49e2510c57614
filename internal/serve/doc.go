// Package serve runs a server for its whole life, the same way for every
// server swarmlab ships (api, registry, visualizer, edge, and the ingress and
// the proxy): listen, log that it is ready, serve until the context ends
// (SIGTERM from 'docker stop' or swarm, through cli.SignalContext), drain,
// and shut down within a deadline, cutting off what is still running then.
//
// It is a package of its own, not part of internal/cli, because the server
// packages import it: they are libraries that tests run on a loopback
// listener, and must not depend on the command line (cobra) to do so.
package serve
