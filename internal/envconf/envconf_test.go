package envconf

import (
	"strings"
	"testing"
	"time"
)

type vars struct {
	Port    int           `env:"PORT" envDefault:"8080" desc:"listen port"`
	Resync  time.Duration `env:"RESYNC_INTERVAL" envDefault:"1s" desc:"how often"`
	Demo    bool          `env:"DEMO" envDefault:"false" desc:"demo mode"`
	Context string        `env:"CTX_ROOT" desc:"URL prefix"`
}

func lookup(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParse(t *testing.T) {
	var v vars
	if err := Parse(&v, lookup(map[string]string{"RESYNC_INTERVAL": " 750ms ", "DEMO": "1", "CTX_ROOT": "/viz", "PORT": ""})); err != nil {
		t.Fatal(err)
	}
	if v != (vars{Port: 8080, Resync: 750 * time.Millisecond, Demo: true, Context: "/viz"}) {
		t.Fatalf("%+v", v)
	}
}

func TestParseErrorsNameTheVariable(t *testing.T) {
	var v vars
	err := Parse(&v, lookup(map[string]string{"RESYNC_INTERVAL": "500", "DEMO": "yes", "PORT": "80a"}))
	for _, want := range []string{
		`RESYNC_INTERVAL="500": a duration needs a unit: write 500ms or 500s`,
		`DEMO="yes": want true or false (or 1 or 0)`,
		`PORT="80a": want a whole number`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if err := Parse(&v, lookup(map[string]string{"RESYNC_INTERVAL": "soon"})); err == nil || !strings.Contains(err.Error(), `RESYNC_INTERVAL="soon": want a duration such as 500ms`) {
		t.Errorf("err = %v", err)
	}
}

func TestVars(t *testing.T) {
	got := Vars(vars{})
	if len(got) != 4 || got[1] != (Var{"RESYNC_INTERVAL", "1s", "how often"}) || got[3].Default != "" {
		t.Fatalf("%+v", got)
	}
}
