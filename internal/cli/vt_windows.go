package cli

import (
	"os"

	"golang.org/x/sys/windows"
)

// enableVT turns on escape sequences (colours, clearing a line) in a
// Windows console; Windows 10 and later have it off by default. It reports
// whether the console now shows them.
func enableVT(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
