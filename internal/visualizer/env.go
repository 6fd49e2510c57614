package visualizer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/envconf"
)

// Env is the configuration read from the environment. The names follow
// dockersamples/visualizer (PORT, CTX_ROOT) so that stack files written for
// it keep working.
type Env struct {
	// Addr is where to listen, from PORT. Default ":8080".
	Addr string
	// BasePath is the URL prefix, from CTX_ROOT. Default "" (the root).
	BasePath string
	// Resync is the re-read interval, from RESYNC_INTERVAL, a Go duration
	// ("750ms"). Default 1s.
	Resync time.Duration
	// Demo serves a made-up changing swarm instead of Docker's, from
	// VISUALIZER_DEMO=true, to look at the page without a swarm.
	Demo bool
	// Hosts are extra names the Host header may carry (Config.Hosts), from
	// VISUALIZER_HOSTS, comma-separated. Default none.
	Hosts []string
}

// EnvVars are the environment variables FromEnv reads (see package
// envconf for how they are written).
type EnvVars struct {
	Port   int           `env:"PORT" envDefault:"8080" desc:"port to listen on"`
	Root   string        `env:"CTX_ROOT" desc:"URL prefix the page is served under"`
	Resync time.Duration `env:"RESYNC_INTERVAL" envDefault:"1s" desc:"how often the swarm is read again, up to 1s"`
	Demo   bool          `env:"VISUALIZER_DEMO" envDefault:"false" desc:"serve a made-up changing swarm, to look at the page without one"`
	Hosts  string        `env:"VISUALIZER_HOSTS" desc:"names the Host header may carry besides IP addresses and localhost (comma list); any other is refused, against DNS rebinding"`
}

// FromEnv reads Env through getenv (os.Getenv in the command, a map in tests).
func FromEnv(getenv func(string) string) (Env, error) {
	var v EnvVars
	if err := envconf.Parse(&v, getenv); err != nil {
		return Env{}, err
	}
	var errs []error
	if v.Port < 1 || v.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT=%d: want a port number such as 8080", v.Port))
	}
	if v.Resync <= 0 || v.Resync > time.Second {
		errs = append(errs, fmt.Errorf("RESYNC_INTERVAL=%s: want a duration up to 1s, such as 500ms", v.Resync))
	}
	hosts := strings.FieldsFunc(v.Hosts, func(r rune) bool { return r == ',' || r == ' ' })
	return Env{Addr: ":" + strconv.Itoa(v.Port), BasePath: v.Root, Resync: v.Resync, Demo: v.Demo, Hosts: hosts}, errors.Join(errs...)
}
