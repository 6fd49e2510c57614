package visualizer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Env is the configuration read from the environment. The names follow
// dockersamples/visualizer (PORT, CTX_ROOT) so that stack files written for
// it keep working.
type Env struct {
	// Addr is where to listen, from PORT. Default ":8080".
	Addr string
	// BasePath is the URL prefix, from CTX_ROOT. Default "" (the root).
	BasePath string
	// Resync is the re-read interval, from RESYNC_INTERVAL: a Go duration
	// ("750ms") or a number of milliseconds. Default 1s.
	Resync time.Duration
	// Demo serves a made-up changing swarm instead of Docker's, from
	// VISUALIZER_DEMO=1, to look at the page without a swarm.
	Demo bool
	// Hosts are extra names the Host header may carry (Config.Hosts), from
	// VISUALIZER_HOSTS, comma-separated. Default none.
	Hosts []string
}

// FromEnv reads Env through getenv (os.Getenv in the command, a map in tests).
func FromEnv(getenv func(string) string) (Env, error) {
	e := Env{Addr: ":8080", BasePath: strings.TrimSpace(getenv("CTX_ROOT")), Resync: DefaultResync}
	var errs []error
	if p := strings.TrimSpace(getenv("PORT")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("PORT=%q: want a port number such as 8080", p))
		} else {
			e.Addr = ":" + p
		}
	}
	if r := strings.TrimSpace(getenv("RESYNC_INTERVAL")); r != "" {
		d, err := time.ParseDuration(r)
		if err != nil {
			ms, nerr := strconv.Atoi(r)
			d, err = time.Duration(ms)*time.Millisecond, nerr
		}
		if err != nil || d <= 0 || d > time.Second {
			errs = append(errs, fmt.Errorf("RESYNC_INTERVAL=%q: want a duration up to 1s, such as 500ms", r))
		} else {
			e.Resync = d
		}
	}
	switch strings.ToLower(strings.TrimSpace(getenv("VISUALIZER_DEMO"))) {
	case "", "0", "false", "no":
	default:
		e.Demo = true
	}
	e.Hosts = strings.FieldsFunc(getenv("VISUALIZER_HOSTS"), func(r rune) bool { return r == ',' || r == ' ' })
	return e, errors.Join(errs...)
}
