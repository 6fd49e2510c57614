// Package checks looks at a lab and says what is right and what is not, in
// words a learner can act on: Verify checks the tutorial's goals on a running
// lab (nodes, registry, stacks, overlay, visualizer, ingress, stats page) and
// Doctor checks what the engine and the kernel allow before a lab is made
// (privileged containers, IPVS, VXLAN, host ports). It only reads the lab,
// through package lab's exported API; what up does about a finding is up's.
//
// Files: verify.go (Verify and its Goals) and doctor.go (Doctor and its
// Checks, IPVS among them).
package checks
