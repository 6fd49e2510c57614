// Package lifecycle implements 'swarmlab stop' and 'swarmlab start': pause
// the whole lab and bring it back with its swarm, services and images.
package lifecycle
