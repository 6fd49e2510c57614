// Package buildcmd implements 'swarmlab build node-image': a Docker-in-Docker
// node image made offline from Debian packages, for engines that cannot pull.
package buildcmd
