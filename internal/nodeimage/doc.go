// Package nodeimage builds a Docker-in-Docker node image offline from Debian
// packages (debootstrap), for machines that cannot pull docker:dind. host.go
// says whether this machine can (Linux, root, debootstrap or apt-get to
// install it) and, where it cannot, what to run instead: 'swarmlab up' builds
// the image by itself where it can.
package nodeimage
