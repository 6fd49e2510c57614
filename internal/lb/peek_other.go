//go:build !unix

package lb

import "net"

// unsolicited cannot peek without consuming here; the servers that proxy
// run in Linux containers, so this only keeps other builds compiling.
func unsolicited(net.Conn) bool { return false }
