// Package doctor implements 'swarmlab doctor': what this engine and kernel
// can do for a lab, and what to do about what they cannot.
package doctor
