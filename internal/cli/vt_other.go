//go:build !windows

package cli

import "os"

// enableVT: terminals outside Windows show escape sequences as they are.
func enableVT(*os.File) bool { return true }
