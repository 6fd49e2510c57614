// Package labflags is how every lab command reaches its lab: the flags the
// root command shares with them (--name, --config, -v, -q), built once by
// the root and passed to each command explicitly; LabConfig, the one place
// a lab's config is made and validated; and Run, which connects to the host
// engine through the root's Connector, hands the lab to the command and
// closes the connection.
package labflags
