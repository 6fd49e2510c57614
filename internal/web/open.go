package web

import (
	"os/exec"
	"runtime"
)

// OpenBrowser asks the desktop to open url in the user's browser. It does not
// wait for the browser; an error means no opener could be started, and the
// caller prints the URL for the user to open.
func OpenBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		// rundll32 takes the URL as one argument; "cmd /c start" would let
		// the shell read its '&'.
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it
	return nil
}
