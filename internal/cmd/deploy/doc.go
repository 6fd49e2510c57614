// Package deploy implements 'swarmlab deploy': the lab's ingress and
// visualizer on a real swarm behind a Docker context (internal/realswarm).
package deploy
