package ipvscheck

import (
	"errors"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// lookupFamily sends CTRL_CMD_GETFAMILY; for an unknown name the kernel
// first tries request_module("net-pf-16-proto-16-family-NAME").
func lookupFamily(name string) (uint16, error) {
	f, err := netlink.GenlFamilyGet(name)
	if err != nil {
		return 0, err
	}
	return f.ID, nil
}

func isNotFound(err error) bool { return errors.Is(err, unix.ENOENT) }
