// Package open implements 'swarmlab open': the learner's window in the
// browser, with the handout's steps ticking live, a terminal in every node
// and the swarm drawn by the visualizer. The work is done by
// internal/window; this command finds the lab, listens on 127.0.0.1 and
// opens the browser.
package open
