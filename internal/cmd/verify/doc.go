// Package verify implements 'swarmlab verify': the tutorial's goals
// (本日のゴール), checked by machine.
package verify
