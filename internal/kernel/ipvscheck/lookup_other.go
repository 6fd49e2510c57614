//go:build !linux

package ipvscheck

import "errors"

// The check runs in a Linux container on the engine; elsewhere there is no
// kernel of interest to ask.
func lookupFamily(string) (uint16, error) { return 0, errors.New("only Linux has generic netlink") }

func isNotFound(error) bool { return false }
