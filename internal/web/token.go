package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
)

// NewSecret returns 32 random bytes, URL-safe: a launch's token, a teacher's
// secret, a learner's token. crypto/rand never fails on the systems Go
// supports (it panics instead), so there is no error to handle.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Equal compares two secrets in constant time. An empty secret never
// matches, so a server that forgot to set one refuses everybody.
func Equal(got, want string) bool {
	if got == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
