// Package edge implements 'swarmlab edge': the TCP forwarder in front of a
// lab's managers (labs with more than one manager only).
package edge
