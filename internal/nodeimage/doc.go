// Package nodeimage builds a Docker-in-Docker node image offline from Debian
// packages (debootstrap), for machines that cannot pull docker:dind.
package nodeimage
