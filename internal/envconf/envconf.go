// Package envconf is how every server of the lab reads its environment, one
// way for all: a struct whose fields carry `env:"NAME"`, `envDefault:"..."`
// and `desc:"..."` tags, parsed by github.com/caarlos0/env. Durations are Go
// durations ("500ms", "2s"; a bare number is an error that says which unit
// to add), booleans are strconv.ParseBool's ("true", "false", "1", "0"), an
// empty variable counts as unset, and every error names its variable and
// value. Vars lists the variables for the generated table in
// docs/environment.md.
package envconf

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Parse fills v, a pointer to a struct with env tags, from getenv
// (os.Getenv in a command, a map's lookup in tests). It reports every
// variable that cannot be read, at once.
func Parse(v any, getenv func(string) string) error {
	params, err := env.GetFieldParams(v)
	if err != nil {
		return err
	}
	environ := map[string]string{}
	keyOf := map[string]string{} // field name to variable
	for _, p := range params {
		if val := strings.TrimSpace(getenv(p.Key)); val != "" {
			environ[p.Key] = val
		}
	}
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		f := t.Field(i)
		if k, _, _ := strings.Cut(f.Tag.Get("env"), ","); k != "" {
			keyOf[f.Name] = k
		}
	}
	err = env.ParseWithOptions(v, env.Options{
		Environment: environ,
		FuncMap:     map[reflect.Type]env.ParserFunc{reflect.TypeOf(time.Duration(0)): parseDuration},
	})
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	var errs []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			key := keyOf[pe.Name]
			errs = append(errs, fmt.Errorf("%s=%q: %w", key, environ[key], explain(pe)))
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// explain turns a parser's error into what to write instead.
func explain(pe env.ParseError) error {
	var ne *strconv.NumError
	switch {
	case pe.Type.Kind() == reflect.Bool:
		return errors.New("want true or false (or 1 or 0)")
	case errors.As(pe.Err, &ne):
		return fmt.Errorf("want a whole number")
	}
	return pe.Err
}

// parseDuration reads a Go duration. A bare number is refused with the
// unit the user most likely meant: servers once read them as seconds or as
// milliseconds, and a guess would be silently wrong for one of the two.
func parseDuration(s string) (any, error) {
	d, err := time.ParseDuration(s)
	if err == nil {
		return d, nil
	}
	if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
		return nil, fmt.Errorf("a duration needs a unit: write %sms or %ss", s, s)
	}
	return nil, errors.New("want a duration such as 500ms, 2s or 1m")
}

// Var is one environment variable of a server, for the docs.
type Var struct {
	Name    string
	Default string
	Desc    string
}

// Vars lists the variables of v, a struct (or a pointer to one) with env
// tags, in field order.
func Vars(v any) []Var {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Var
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		out = append(out, Var{Name: name, Default: f.Tag.Get("envDefault"), Desc: f.Tag.Get("desc")})
	}
	return out
}
