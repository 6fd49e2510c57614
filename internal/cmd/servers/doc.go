// Package servers lists the commands the lab's images run (registry, api,
// proxy, ingress, visualizer, edge, probe, and the hidden kernel-check).
// swarmlab built from source carries them and ships itself in the images;
// swarmlab-server is them alone, the small binary a release embeds for each
// Linux architecture.
package servers
