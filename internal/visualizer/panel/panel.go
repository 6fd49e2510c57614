// Package panel is the format of the tutorial's progress on a swarm: 'swarmlab
// tutorial' writes it as a swarm label and the visualizer shows it as a
// panel. It is a package of its own so that the CLI, which a release builds
// without the servers, need not import the visualizer.
package panel

import (
	"encoding/json"
	"time"
)

// Label is the swarm label under which 'swarmlab tutorial' publishes
// the learner's progress as compact JSON (a Tutorial). The page shows it as a
// panel beside the nodes; a swarm without the label (any real swarm) shows
// no panel.
const Label = "io.swarmlab.tutorial"

// Tutorial is the hands-on tutorial's progress as the panel shows it.
type Tutorial struct {
	At      time.Time `json:"at"`                // when it last changed
	Lang    string    `json:"lang,omitempty"`    // en or ja: the language of the titles
	Current string    `json:"current,omitempty"` // id of the step to do next; "" when none
	Message string    `json:"message,omitempty"` // about the lab as a whole
	Steps   []Step    `json:"steps"`
}

// Step is one step of the panel. Only the current step carries its
// commands and hint, so that the label stays small.
type Step struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Status   string   `json:"status"` // done, current, todo, shown, unknown
	Where    string   `json:"where,omitempty"`
	Commands []string `json:"commands,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Hint     string   `json:"hint,omitempty"`
}

// maxSteps bounds what the page accepts from a label anyone with
// access to the manager can write.
const maxSteps = 100

// Parse reads the label's value; anything that is not a tutorial
// gives nil, so that a stray label never breaks the page.
func Parse(label string) *Tutorial {
	if label == "" {
		return nil
	}
	var t Tutorial
	if json.Unmarshal([]byte(label), &t) != nil || len(t.Steps) == 0 || len(t.Steps) > maxSteps {
		return nil
	}
	return &t
}
