//go:build !unix

package lb

// peeker: nothing to keep where there is no peek.
type peeker struct{}

// unsolicited cannot peek without consuming here; the servers that proxy
// run in Linux containers, so this only keeps other builds compiling.
func (c *upConn) unsolicited() bool { return false }
