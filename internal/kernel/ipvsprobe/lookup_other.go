//go:build !linux

package ipvsprobe

import "errors"

// The probe runs in a Linux container on the engine; elsewhere there is no
// kernel of interest to ask.
func lookupFamily(string) (uint16, error) { return 0, errors.New("only Linux has generic netlink") }

func isNotFound(error) bool { return false }
