package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Membership is what 'class join' remembers.
type Membership struct {
	URL    string    `json:"url"`   // the class server, http://HOST:PORT
	Code   string    `json:"code"`  // the class code, for the download point
	ID     int64     `json:"id"`    // the learner's number in the class
	Name   string    `json:"name"`  //
	Token  string    `json:"token"` // the learner's secret: only the hash is on the server
	Joined time.Time `json:"joined"`
}

// HomeEnv overrides the folder of class.json and the queue (tests, or two
// learners on one machine).
const HomeEnv = "SWARMLAB_CLASS_HOME"

// Home is the folder of class.json and the queue of unsent ticks.
func Home() (string, error) {
	if h := os.Getenv(HomeEnv); h != "" {
		return h, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config folder: %w", err)
	}
	return filepath.Join(dir, "swarmlab"), nil
}

func configPath() (string, error) {
	h, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, "class.json"), nil
}

// ErrNotJoined: no class.json.
var ErrNotJoined = errors.New("not in a class: join one with 'swarmlab class join URL CODE --name NAME'")

// Load reads the membership; ErrNotJoined when there is none.
func Load() (Membership, error) {
	var m Membership
	p, err := configPath()
	if err != nil {
		return m, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return m, ErrNotJoined
	}
	if err != nil {
		return m, fmt.Errorf("reading %s: %w", p, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("reading %s: %w (remove it and join again)", p, err)
	}
	if m.URL == "" || m.Token == "" {
		return m, ErrNotJoined
	}
	return m, nil
}

// Save writes the membership, readable by the user only.
func Save(m Membership) error {
	p, err := configPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(p), err)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	// WriteFile keeps the mode of a file that exists: make sure.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Forget removes the membership and the queue.
func Forget() error {
	p, err := configPath()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	q, err := queueDir()
	if err != nil {
		return err
	}
	return os.RemoveAll(q)
}
