// Package proto is what a learner's swarmlab and the class server say to
// each other, and the only thing: the tutorial's state (a Tick), a raised
// hand, and what the teacher sends back (a Feed). Both sides clean every
// text with Clean, so a name or a question is short, one line, and free of
// control characters wherever it is shown.
package proto

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a learner may send. The server refuses bodies larger than
// MaxBody and cuts texts to their limit.
const (
	MaxBody     = 64 << 10
	MaxName     = 40
	MaxQuestion = 280
	MaxMessage  = 200 // a teacher's broadcast
	MaxHint     = 600
	MaxCode     = 16
	MaxSteps    = 64
)

// Paths of the learners' API. Everything under LearnerPrefix is public to
// the teacher's guard and checks a learner token (or, to join, the class
// code) itself.
const (
	LearnerPrefix = "/api/learner/"
	PathJoin      = LearnerPrefix + "join"
	PathTick      = LearnerPrefix + "tick"
	PathHand      = LearnerPrefix + "hand"
	PathLeave     = LearnerPrefix + "leave"
	PathFeed      = LearnerPrefix + "feed"
	PathFiles     = LearnerPrefix + "files"  // the manifest
	PathFile      = LearnerPrefix + "files/" // + name: one file
	HeaderCode    = "X-Swarmlab-Class-Code"  // the class code, for files without a token
)

// JoinRequest asks to join with the class code.
type JoinRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// JoinResponse carries the learner's token: the only time the server sends
// it; it keeps a hash.
type JoinResponse struct {
	ID    int64  `json:"id"`
	Token string `json:"token"`
	Name  string `json:"name"`
	Class string `json:"class"` // the class's title
}

// Tick is the tutorial's state as the learner's swarmlab last read it.
// Seq grows with every tick a learner sends; the server refuses a tick whose
// Seq is not above the last one it stored (a replay).
type Tick struct {
	Seq      int64         `json:"seq"`
	At       time.Time     `json:"at"`
	Lab      string        `json:"lab"`
	LabState string        `json:"labState"`
	Lang     string        `json:"lang"`
	Current  string        `json:"current"`
	Position int           `json:"position"`
	Total    int           `json:"total"`
	Finished bool          `json:"finished"`
	Hint     string        `json:"hint,omitempty"` // the hint the learner sees now
	Message  string        `json:"message,omitempty"`
	Steps    []StepState   `json:"steps"`
	Summary  *Summary      `json:"summary,omitempty"`
	Verify   *VerifyResult `json:"verify,omitempty"`
}

// StepState is one step's status in a Tick.
type StepState struct {
	ID     string `json:"id"`
	Status string `json:"status"` // done, current, todo, shown, unknown
}

// Summary is what the tutorial read of the lab, counted.
type Summary struct {
	Nodes    int      `json:"nodes"`
	Ready    int      `json:"ready"`
	Services []string `json:"services,omitempty"` // name replicas, e.g. "api 3/3"
}

// VerifyResult is the learner's last 'swarmlab verify'.
type VerifyResult struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Failed []string  `json:"failed,omitempty"`
}

// Hand is a raised hand.
type Hand struct {
	Question string `json:"question"`
}

// Feed is what the teacher says to the class: the learner's watch shows it.
type Feed struct {
	Broadcast   string    `json:"broadcast,omitempty"`
	BroadcastAt time.Time `json:"broadcastAt,omitzero"`
	Step        string    `json:"step,omitempty"` // the class's current step
	HandOpen    bool      `json:"handOpen"`       // this learner's hand is up
}

// TickResponse answers a tick.
type TickResponse struct {
	Seq  int64 `json:"seq"` // the last seq stored
	Feed Feed  `json:"feed"`
}

// File is one file of the room's download point.
type File struct {
	Name   string   `json:"name"`   // images/node.tar.gz, releases/swarmlab_..._linux_amd64.tar.gz
	Size   int64    `json:"size"`   //
	SHA256 string   `json:"sha256"` // hex
	Images []string `json:"images,omitempty"`
}

// Manifest lists the download point's files.
type Manifest struct {
	Files []File `json:"files"`
}

// Clean makes a text safe to store and show: valid UTF-8, control and
// format characters (line breaks, escapes, bidi overrides) replaced by a
// space, spaces collapsed, cut to max runes. Pages still insert it as text.
func Clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				space = true
			}
			continue
		}
		if space {
			if n >= max {
				break
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// ValidID reports whether s can be a step id: short, lower-case letters,
// digits and dashes.
func ValidID(s string) bool {
	if s == "" || len(s) > 40 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
