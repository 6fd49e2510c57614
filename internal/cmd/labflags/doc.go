// Package labflags is how every lab command reaches its lab: the flags the
// root command shares with them (--name, --config, -v, -q), built once by
// the root and passed to each command explicitly, and Run, which turns them
// into a lab on the host engine, hands it to the command and closes it.
package labflags
